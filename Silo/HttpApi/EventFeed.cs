using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Formation.Events;
using Orleans.Streams;

namespace Formation.Silo.HttpApi;

/// <summary>
/// One client's subscription to the cluster's event streams (the ones <c>form vm events --follow</c> and the dashboard
/// read), as server-sent events: first the history it is given, then live events, each event once (an event that arrives
/// both ways is sent only with the history). It is subscribed before the response starts, so a client that has the
/// response headers misses nothing that happens afterwards. A client that falls <see cref="Capacity"/> events behind
/// gets a last <c>error</c> event and the stream ends; it can reconnect and read the history again.
/// </summary>
internal sealed class EventFeed : IAsyncDisposable
{
    public const int Capacity = 4096;

    private readonly Channel<Entry> _live = Channel.CreateBounded<Entry>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly List<Func<Task>> _unsubscribe = [];

    /// <summary>An event as sent: its SSE type, its JSON, and the key that says two events are the same one.</summary>
    public readonly record struct Entry(string Type, string Json, object? Key);

    /// <summary>Subscribes to <paramref name="stream"/>; each item becomes an entry of <paramref name="type"/>.</summary>
    public async Task AddAsync<T>(IClusterClient client, StreamId stream, string type, JsonTypeInfo<T> json, Func<T, object?> key)
    {
        var handle = await client.GetStreamProvider(EventStreams.Provider).GetStream<T>(stream).SubscribeAsync((item, _) =>
        {
            if (!_live.Writer.TryWrite(new Entry(type, JsonSerializer.Serialize(item, json), key(item))))
            {
                _live.Writer.TryComplete(new LaggedException());
            }

            return Task.CompletedTask;
        });
        _unsubscribe.Add(() => handle.UnsubscribeAsync());
    }

    /// <summary>The history, then live events until <paramref name="cancellationToken"/> (the client left, or the silo stops).</summary>
    public async IAsyncEnumerable<SseItem<string>> ReadAllAsync(IEnumerable<Entry> history, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<object>();
        foreach (var e in history)
        {
            if (e.Key is not null)
            {
                seen.Add(e.Key);
            }

            yield return new SseItem<string>(e.Json, e.Type);
        }

        var reader = _live.Reader;
        while (true)
        {
            bool more;
            try
            {
                more = await reader.WaitToReadAsync(cancellationToken);
            }
            catch (LaggedException)
            {
                break;
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (!more)
            {
                yield break;
            }

            while (reader.TryRead(out var e))
            {
                if (e.Key is null || seen.Add(e.Key))
                {
                    yield return new SseItem<string>(e.Json, e.Type);
                }
            }
        }

        yield return new SseItem<string>(JsonSerializer.Serialize(new HttpApiError(HttpApiError.Unavailable,
            $"this client read events more slowly than they came ({Capacity} behind); reconnect to read the history and follow again."),
            HttpApiJson.Default.HttpApiError), "error");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var unsubscribe in _unsubscribe)
        {
            try
            {
                await unsubscribe().WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception)
            {
                // The silo is stopping or the stream's rendezvous is gone; the subscription goes with it.
            }
        }
    }

    private sealed class LaggedException() : Exception("the event feed's client fell behind");
}

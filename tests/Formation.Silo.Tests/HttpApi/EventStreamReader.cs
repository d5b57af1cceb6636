using System.Text;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>Reads <c>text/event-stream</c> from a response: one (event type, JSON data) per event.</summary>
public sealed class EventStreamReader(HttpResponseMessage response) : IAsyncDisposable
{
    private StreamReader? _reader;

    public HttpResponseMessage Response => response;

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<(string Type, JsonNode Data)?> NextAsync(CancellationToken cancellationToken)
    {
        _reader ??= new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string? type = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    return (type ?? "message", JsonNode.Parse(data.ToString())!);
                }

                continue;
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line["data: ".Length..]);
            }
        }

        return null;
    }

    /// <summary>Events until one matches (returned), failing if the stream ends or the time runs out first.</summary>
    public async Task<JsonNode> UntilAsync(string type, Func<JsonNode, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = new List<string>();
        try
        {
            while (await NextAsync(cts.Token) is { } e)
            {
                seen.Add($"{e.Type}: {e.Data.ToJsonString()}");
                if (e.Type == type && match(e.Data))
                {
                    return e.Data;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }

        Assert.Fail($"no {what} within {timeout.TotalSeconds} s; events seen:\n{string.Join("\n", seen)}");
        return null!;
    }

    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        response.Dispose();
        return ValueTask.CompletedTask;
    }
}

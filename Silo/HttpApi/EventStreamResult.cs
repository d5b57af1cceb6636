using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Formation.Silo.HttpApi;

/// <summary>
/// A <c>text/event-stream</c> response. Unlike the framework's own result it sends the headers at once, before the first
/// event, so a client knows it is subscribed; it owns <paramref name="owner"/> (the subscription) and releases it when
/// the stream ends, the client leaves, or <paramref name="stopping"/> fires (the silo stops).
/// </summary>
internal sealed class EventStreamResult(IAsyncEnumerable<SseItem<string>> events, IAsyncDisposable owner, CancellationToken stopping) : IResult
{
    public const string ContentType = "text/event-stream";

    public async Task ExecuteAsync(HttpContext context)
    {
        await using var _ = owner;
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        context.Response.ContentType = ContentType;
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
        try
        {
            await context.Response.StartAsync(end.Token);
            await context.Response.Body.FlushAsync(end.Token);
            await SseFormatter.WriteAsync(events, context.Response.Body, end.Token);
        }
        catch (OperationCanceledException) when (end.IsCancellationRequested)
        {
            // The client left or the silo is stopping: the stream simply ends.
        }
    }
}

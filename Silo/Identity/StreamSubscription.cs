namespace Formation.Silo.Identity;

/// <summary>
/// Recognises a consumer's registration with Orleans' stream pub/sub grain (<c>IPubSubRendezvousGrain.RegisterConsumer</c>,
/// internal to Orleans, so matched by name) and gives the stream it is for: every explicit subscription, a client's
/// included, is made through that call, and the pub/sub grain delivers only to registered consumers.
/// </summary>
public static class StreamSubscription
{
    private const string RendezvousInterface = "Orleans.Streams.IPubSubRendezvousGrain";
    private const string RegisterConsumer = "RegisterConsumer";
    private const string MemoryQueueInterface = "Orleans.Providers.IMemoryStreamQueueGrain";

    /// <summary>
    /// True for a call to a memory stream's queue grain (enqueue, dequeue). Only the silos publish and pull: a client
    /// that dequeued would read (and take away) every account's events, one that enqueued would forge them.
    /// </summary>
    public static bool IsQueueAccess(IGrainCallContext context) =>
        context.InterfaceMethod?.DeclaringType?.FullName == MemoryQueueInterface;

    /// <summary>The stream a call registers a consumer for, or null when the call is something else.</summary>
    public static StreamId? Of(IGrainCallContext context)
    {
        if (context.InterfaceMethod is not { Name: RegisterConsumer } method || method.DeclaringType?.FullName != RendezvousInterface)
        {
            return null;
        }

        var request = context.Request;
        for (var i = 0; i < request.GetArgumentCount(); i++)
        {
            if (request.GetArgument(i) is QualifiedStreamId stream)
            {
                return stream.StreamId;
            }
        }

        // An Orleans version whose registration carries the stream differently: refuse rather than let it through unchecked.
        throw new InvalidOperationException($"{RendezvousInterface}.{RegisterConsumer} carries no {nameof(QualifiedStreamId)}: update {nameof(StreamSubscription)} for this Orleans version.");
    }
}

using System.Collections.Concurrent;
using Formation.Kvm.Native.Devices.Virtio;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>virtio-net frames into and out of in-memory queues.</summary>
internal sealed class QueueNetBackend : INetBackend
{
    public ConcurrentQueue<byte[]> Sent { get; } = new();

    public BlockingCollection<byte[]> ToGuest { get; } = [];

    public bool TryWrite(ReadOnlySpan<byte> frame)
    {
        Sent.Enqueue(frame.ToArray());
        return true;
    }

    public int Read(Span<byte> buffer, int timeoutMs)
    {
        if (ToGuest.IsAddingCompleted)
        {
            return -1;
        }

        if (!ToGuest.TryTake(out var frame, timeoutMs))
        {
            return 0;
        }

        frame.CopyTo(buffer);
        return frame.Length;
    }

    public void Wake() => ToGuest.CompleteAdding();

    public void Dispose()
    {
    }
}

using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// Copies between a descriptor chain and host buffers, treating the chain's readable buffers (and its
/// writable buffers) as one contiguous byte range. Buffers were validated when the chain was popped.
/// </summary>
public static class ChainIo
{
    /// <summary>Copies readable bytes starting at <paramref name="skip"/> into <paramref name="destination"/>; returns bytes copied.</summary>
    public static int Read(GuestMemory memory, in DescriptorChain chain, long skip, Span<byte> destination)
    {
        var copied = 0;
        foreach (var d in chain.Buffers)
        {
            if (d.Writable || copied == destination.Length)
            {
                continue;
            }

            if (skip >= d.Length)
            {
                skip -= d.Length;
                continue;
            }

            var n = (int)Math.Min(d.Length - skip, destination.Length - copied);
            if (!memory.TryRead(d.Address + (ulong)skip, destination.Slice(copied, n)))
            {
                throw new VirtqueueException("buffer moved outside guest RAM");
            }

            copied += n;
            skip = 0;
        }

        return copied;
    }

    /// <summary>Copies <paramref name="source"/> into the writable bytes starting at <paramref name="skip"/>; returns bytes copied.</summary>
    public static int Write(GuestMemory memory, in DescriptorChain chain, long skip, ReadOnlySpan<byte> source)
    {
        var copied = 0;
        foreach (var d in chain.Buffers)
        {
            if (!d.Writable || copied == source.Length)
            {
                continue;
            }

            if (skip >= d.Length)
            {
                skip -= d.Length;
                continue;
            }

            var n = (int)Math.Min(d.Length - skip, source.Length - copied);
            if (!memory.TryWrite(d.Address + (ulong)skip, source.Slice(copied, n)))
            {
                throw new VirtqueueException("buffer moved outside guest RAM");
            }

            copied += n;
            skip = 0;
        }

        return copied;
    }
}

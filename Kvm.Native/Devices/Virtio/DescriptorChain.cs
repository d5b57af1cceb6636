namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// A popped descriptor chain: its head index (to return in the used ring) and its buffers, every one
/// already checked to lie inside guest RAM. The buffer array is owned by the queue and reused.
/// </summary>
public readonly struct DescriptorChain
{
    private readonly Descriptor[] _buffers;

    public DescriptorChain(ushort head, Descriptor[] buffers, int count)
    {
        Head = head;
        _buffers = buffers;
        Count = count;
    }

    public ushort Head { get; }

    public int Count { get; }

    public ReadOnlySpan<Descriptor> Buffers => _buffers is null ? default : _buffers.AsSpan(0, Count);

    /// <summary>Total bytes of device-readable buffers.</summary>
    public long ReadableLength
    {
        get
        {
            long total = 0;
            foreach (var d in Buffers)
            {
                if (!d.Writable)
                {
                    total += d.Length;
                }
            }

            return total;
        }
    }

    /// <summary>Total bytes of device-writable buffers.</summary>
    public long WritableLength
    {
        get
        {
            long total = 0;
            foreach (var d in Buffers)
            {
                if (d.Writable)
                {
                    total += d.Length;
                }
            }

            return total;
        }
    }
}

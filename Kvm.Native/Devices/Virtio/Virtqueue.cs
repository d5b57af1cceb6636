using System.Buffers.Binary;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// A split virtqueue (virtio 1.x §2.7) over guest memory. The driver configures size and ring addresses
/// through the transport; the device pops available chains and pushes used elements. Every index,
/// address and length read from the guest is validated; a violation throws <see cref="VirtqueueException"/>
/// (the device then fails) and never touches memory outside guest RAM. Not thread-safe: one device lock.
/// </summary>
public sealed class Virtqueue
{
    public const int DescriptorSize = 16;

    private readonly GuestMemory _memory;
    private Descriptor[] _buffers = [];
    private ushort _nextAvail;
    private ushort _nextUsed;

    public Virtqueue(GuestMemory memory, ushort maxSize)
    {
        _memory = memory;
        MaxSize = maxSize;
        Size = maxSize;
    }

    public ushort MaxSize { get; }

    public ushort Size { get; set; }

    public bool Ready { get; set; }

    public ulong DescTable { get; set; }

    public ulong AvailRing { get; set; }

    public ulong UsedRing { get; set; }

    /// <summary>Checks size and ring placement; false with a reason when the driver's setup is unusable.</summary>
    public bool Validate(out string error)
    {
        error = "";
        if (Size == 0 || Size > MaxSize || (Size & (Size - 1)) != 0)
        {
            error = $"queue size {Size} is not a power of two ≤ {MaxSize}";
        }
        else if (DescTable % 16 != 0 || AvailRing % 2 != 0 || UsedRing % 4 != 0)
        {
            error = "ring addresses are misaligned";
        }
        else if (!_memory.IsValid(DescTable, (ulong)Size * DescriptorSize)
                 || !_memory.IsValid(AvailRing, 6 + 2UL * Size)
                 || !_memory.IsValid(UsedRing, 6 + 8UL * Size))
        {
            error = "rings lie outside guest RAM";
        }

        return error.Length == 0;
    }

    public VirtqueueState SaveState() => new(Size, Ready, DescTable, AvailRing, UsedRing, _nextAvail, _nextUsed);

    /// <summary>
    /// Takes a snapshot's queue back, over the snapshot's guest memory: a ready queue must pass <see cref="Validate"/>, its
    /// used index in guest memory must be the saved one (only the device writes it), and the driver may be at most a queue
    /// ahead of the saved avail position. Throws <see cref="InvalidDataException"/> otherwise.
    /// </summary>
    public void RestoreState(VirtqueueState state)
    {
        if (state.Size > MaxSize)
        {
            throw new InvalidDataException($"queue size {state.Size} is larger than the device's {MaxSize}");
        }

        (Size, Ready, DescTable, AvailRing, UsedRing) = (state.Size, state.Ready, state.DescTable, state.AvailRing, state.UsedRing);
        (_nextAvail, _nextUsed) = (state.NextAvail, state.NextUsed);
        if (!Ready)
        {
            return;
        }

        if (!Validate(out var error))
        {
            throw new InvalidDataException($"ready queue is unusable: {error}");
        }

        _memory.TryReadVolatile(UsedRing + 2, out var usedIdx);
        if (usedIdx != _nextUsed)
        {
            throw new InvalidDataException($"queue's next used index {_nextUsed} is not the used ring's {usedIdx} in guest memory");
        }

        _memory.TryReadVolatile(AvailRing + 2, out var availIdx);
        if ((ushort)(availIdx - _nextAvail) > Size)
        {
            throw new InvalidDataException($"queue's next avail index {_nextAvail} is more than a queue behind the avail ring's {availIdx}");
        }
    }

    public void Reset()
    {
        Ready = false;
        Size = MaxSize;
        DescTable = AvailRing = UsedRing = 0;
        _nextAvail = _nextUsed = 0;
    }

    /// <summary>Pops the next available chain; false when the driver has posted nothing new.</summary>
    public bool TryPop(out DescriptorChain chain)
    {
        chain = default;
        if (!Ready)
        {
            return false;
        }

        if (!_memory.TryReadVolatile(AvailRing + 2, out var availIdx))
        {
            throw new VirtqueueException("avail ring index is outside guest RAM");
        }

        var pending = (ushort)(availIdx - _nextAvail);
        if (pending == 0)
        {
            return false;
        }

        if (pending > Size)
        {
            throw new VirtqueueException($"avail index jumped by {pending} on a queue of {Size}");
        }

        if (!_memory.TryRead(AvailRing + 4 + 2UL * (ulong)(_nextAvail % Size), out ushort head))
        {
            throw new VirtqueueException("avail ring entry is outside guest RAM");
        }

        _nextAvail++;
        chain = ReadChain(head);
        return true;
    }

    /// <summary>Returns a chain to the driver with <paramref name="written"/> bytes written into it.</summary>
    public void PushUsed(ushort head, uint written)
    {
        var element = UsedRing + 4 + 8UL * (ulong)(_nextUsed % Size);
        Span<byte> entry = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, head);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], written);
        if (!_memory.TryWrite(element, entry))
        {
            throw new VirtqueueException("used ring entry is outside guest RAM");
        }

        _nextUsed++;
        if (!_memory.TryWriteVolatile(UsedRing + 2, _nextUsed))
        {
            throw new VirtqueueException("used ring index is outside guest RAM");
        }
    }

    /// <summary>False when the driver asked not to be interrupted (VIRTQ_AVAIL_F_NO_INTERRUPT).</summary>
    public bool ShouldInterrupt() =>
        !_memory.TryRead(AvailRing, out ushort flags) || (flags & VirtioIds.AvailFlagNoInterrupt) == 0;

    private DescriptorChain ReadChain(ushort head)
    {
        if (head >= Size)
        {
            throw new VirtqueueException($"descriptor index {head} ≥ queue size {Size}");
        }

        if (_buffers.Length < Size)
        {
            _buffers = new Descriptor[Size];
        }

        Span<byte> raw = stackalloc byte[DescriptorSize];
        var index = head;
        var count = 0;
        while (true)
        {
            if (count == Size)
            {
                throw new VirtqueueException("descriptor chain is longer than the queue (loop?)");
            }

            if (!_memory.TryRead(DescTable + (ulong)index * DescriptorSize, raw))
            {
                throw new VirtqueueException("descriptor table is outside guest RAM");
            }

            var address = BinaryPrimitives.ReadUInt64LittleEndian(raw);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(raw[12..]);
            var next = BinaryPrimitives.ReadUInt16LittleEndian(raw[14..]);
            if ((flags & VirtioIds.DescFlagIndirect) != 0)
            {
                throw new VirtqueueException("indirect descriptors were not negotiated");
            }

            if (!_memory.IsValid(address, length))
            {
                throw new VirtqueueException($"buffer 0x{address:x}+0x{length:x} is outside guest RAM");
            }

            _buffers[count++] = new Descriptor(address, length, (flags & VirtioIds.DescFlagWrite) != 0);
            if ((flags & VirtioIds.DescFlagNext) == 0)
            {
                break;
            }

            if (next >= Size)
            {
                throw new VirtqueueException($"next descriptor {next} ≥ queue size {Size}");
            }

            index = next;
        }

        return new DescriptorChain(head, _buffers, count);
    }
}

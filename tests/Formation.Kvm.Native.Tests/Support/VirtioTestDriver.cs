using System.Buffers.Binary;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>
/// Plays the guest driver against a virtio-mmio transport over a byte array: feature negotiation,
/// queue setup, descriptor chains, notifications, used-ring inspection. Queue q's rings live at
/// 0x10000 * (q + 1) (descriptors), +0x1000 (avail), +0x2000 (used); data buffers from 0x100000.
/// </summary>
internal sealed class VirtioTestDriver
{
    public const ushort QueueSize = 16;

    private readonly GuestMemory _memory;
    private readonly VirtioMmioTransport _transport;
    private readonly ushort[] _nextDesc;
    private readonly ushort[] _availIdx;

    public VirtioTestDriver(GuestMemory memory, VirtioMmioTransport transport, int queues)
    {
        _memory = memory;
        _transport = transport;
        _nextDesc = new ushort[queues];
        _availIdx = new ushort[queues];
    }

    public static ulong DescTable(int q) => 0x10000UL * (ulong)(q + 1);

    public static ulong AvailRing(int q) => DescTable(q) + 0x1000;

    public static ulong UsedRing(int q) => DescTable(q) + 0x2000;

    public uint ReadRegister(int offset)
    {
        Span<byte> b = stackalloc byte[4];
        _transport.Read((ulong)offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void WriteRegister(int offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _transport.Write((ulong)offset, b);
    }

    /// <summary>Negotiates all offered features and brings every queue up; returns the final status.</summary>
    public uint Initialize()
    {
        WriteRegister(0x70, 0);
        WriteRegister(0x70, 1);
        WriteRegister(0x70, 3);
        WriteRegister(0x14, 0);
        var low = ReadRegister(0x10);
        WriteRegister(0x14, 1);
        var high = ReadRegister(0x10);
        WriteRegister(0x24, 0);
        WriteRegister(0x20, low);
        WriteRegister(0x24, 1);
        WriteRegister(0x20, high);
        WriteRegister(0x70, 0xb);
        for (var q = 0; q < _nextDesc.Length; q++)
        {
            WriteRegister(0x30, (uint)q);
            WriteRegister(0x38, QueueSize);
            WriteRegister(0x80, (uint)DescTable(q));
            WriteRegister(0x84, 0);
            WriteRegister(0x90, (uint)AvailRing(q));
            WriteRegister(0x94, 0);
            WriteRegister(0xa0, (uint)UsedRing(q));
            WriteRegister(0xa4, 0);
            WriteRegister(0x44, 1);
        }

        WriteRegister(0x70, 0xf);
        return ReadRegister(0x70);
    }

    /// <summary>Writes a chain, makes it available and (optionally) notifies; returns the head index.</summary>
    public ushort Submit(int q, bool notify, params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        var head = _nextDesc[q];
        for (var i = 0; i < buffers.Length; i++)
        {
            var index = (ushort)((head + i) % QueueSize);
            var next = (ushort)((head + i + 1) % QueueSize);
            var flags = (ushort)((buffers[i].Writable ? VirtioIds.DescFlagWrite : 0) | (i + 1 < buffers.Length ? VirtioIds.DescFlagNext : 0));
            WriteDescriptor(q, index, buffers[i].Address, buffers[i].Length, flags, next);
        }

        _nextDesc[q] = (ushort)((head + buffers.Length) % QueueSize);
        Publish(q, head, notify);
        return head;
    }

    public void WriteDescriptor(int q, ushort index, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> d = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
        _memory.Write(DescTable(q) + 16UL * index, d);
    }

    /// <summary>Puts <paramref name="head"/> in the avail ring, bumps the index, notifies.</summary>
    public void Publish(int q, ushort head, bool notify = true)
    {
        _memory.TryWrite(AvailRing(q) + 4 + 2UL * (ulong)(_availIdx[q] % QueueSize), head);
        _availIdx[q]++;
        _memory.TryWrite(AvailRing(q) + 2, _availIdx[q]);
        if (notify)
        {
            WriteRegister(0x50, (uint)q);
        }
    }

    public ushort UsedIndex(int q)
    {
        _memory.TryRead(UsedRing(q) + 2, out ushort idx);
        return idx;
    }

    public (uint Id, uint Length) UsedElement(int q, int i)
    {
        _memory.TryRead(UsedRing(q) + 4 + 8UL * (ulong)(i % QueueSize), out uint id);
        _memory.TryRead(UsedRing(q) + 8 + 8UL * (ulong)(i % QueueSize), out uint len);
        return (id, len);
    }
}

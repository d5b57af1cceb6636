using System.Buffers.Binary;
using System.Collections.Concurrent;
using Formation.Kvm.Native.Devices;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>A test device: records every value written; reads return <see cref="ReadValue"/>; optional callback.</summary>
internal sealed class RecordingPort(Action<uint>? onWrite = null) : IBusDevice
{
    public ConcurrentQueue<(ulong Offset, uint Value)> Writes { get; } = new();

    public uint ReadValue { get; set; } = 0x1234;

    public void Read(ulong offset, Span<byte> data)
    {
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(v, ReadValue);
        v[..Math.Min(4, data.Length)].CopyTo(data);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        Span<byte> v = stackalloc byte[4];
        v.Clear();
        data[..Math.Min(4, data.Length)].CopyTo(v);
        var value = BinaryPrimitives.ReadUInt32LittleEndian(v);
        Writes.Enqueue((offset, value));
        onWrite?.Invoke(value);
    }
}

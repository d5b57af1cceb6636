using Formation.Kvm.Native.Devices.Virtio;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>A disk in a byte array.</summary>
internal sealed class MemoryBlockBackend(byte[] disk, bool readOnly = false) : IBlockBackend
{
    public byte[] Disk => disk;

    public long Size => disk.Length;

    public bool ReadOnly => readOnly;

    public int Flushes { get; private set; }

    public bool Read(long offset, Span<byte> destination)
    {
        disk.AsSpan((int)offset, destination.Length).CopyTo(destination);
        return true;
    }

    public bool Write(long offset, ReadOnlySpan<byte> source)
    {
        source.CopyTo(disk.AsSpan((int)offset));
        return true;
    }

    public bool Flush()
    {
        Flushes++;
        return true;
    }

    public void Dispose()
    {
    }
}

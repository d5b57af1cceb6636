namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>Storage behind virtio-blk: a raw image file in the VMM, a byte array in tests.</summary>
public interface IBlockBackend : IDisposable
{
    long Size { get; }

    bool ReadOnly { get; }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes; false on I/O error or short read.</summary>
    bool Read(long offset, Span<byte> destination);

    bool Write(long offset, ReadOnlySpan<byte> source);

    bool Flush();
}

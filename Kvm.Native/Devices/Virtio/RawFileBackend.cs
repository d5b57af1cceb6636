using Formation.Kvm.Native.Interop;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>A raw disk image file, accessed with pread/pwrite/fdatasync (no host page-cache bypass).</summary>
public sealed class RawFileBackend : IBlockBackend
{
    private readonly FileDescriptor _fd;

    private RawFileBackend(FileDescriptor fd, long size, bool readOnly)
    {
        _fd = fd;
        Size = size;
        ReadOnly = readOnly;
    }

    public long Size { get; }

    public bool ReadOnly { get; }

    public static RawFileBackend Open(string path, bool readOnly)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"disk image {path} does not exist", path);
        }

        if (info.Length % 512 != 0)
        {
            throw new InvalidDataException($"disk image {path} is {info.Length} bytes, not a multiple of 512; resize it (truncate -s)");
        }

        var fd = Sys.Open(path, readOnly ? Libc.O_RDONLY : Libc.O_RDWR);
        return new RawFileBackend(fd, info.Length, readOnly);
    }

    public bool Read(long offset, Span<byte> destination) =>
        Sys.TryPread(_fd.Value, destination, offset) == destination.Length;

    public bool Write(long offset, ReadOnlySpan<byte> source) =>
        !ReadOnly && Sys.TryPwrite(_fd.Value, source, offset) == source.Length;

    public bool Flush() => ReadOnly || Libc.fdatasync(_fd.Value) == 0;

    public void Dispose() => _fd.Dispose();
}

namespace Formation.Kvm.Native.Interop;

/// <summary>An owned Linux file descriptor, closed once on dispose.</summary>
public sealed class FileDescriptor : IDisposable
{
    private int _fd;

    public FileDescriptor(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        _fd = fd;
    }

    /// <summary>The raw descriptor; -1 after dispose.</summary>
    public int Value => Volatile.Read(ref _fd);

    public bool IsClosed => Value < 0;

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Libc.close(fd);
        }
    }

    public override string ToString() => $"fd {Value}";
}

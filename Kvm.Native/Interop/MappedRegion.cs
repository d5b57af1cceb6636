using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Interop;

/// <summary>An mmap'd region, unmapped once on dispose.</summary>
public sealed class MappedRegion : IDisposable
{
    private nint _address;

    private MappedRegion(nint address, nuint length)
    {
        _address = address;
        Length = length;
    }

    public nint Address => Volatile.Read(ref _address);

    public nuint Length { get; }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> shared, read-write.</summary>
    public static MappedRegion MapShared(int fd, nuint length, string what)
    {
        var p = Libc.mmap(0, length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        return p == Libc.MAP_FAILED
            ? throw new NativeException($"mmap of {what}", Marshal.GetLastPInvokeError())
            : new MappedRegion(p, length);
    }

    /// <summary>Anonymous private read-write memory (zero-filled, populated lazily by the kernel).</summary>
    public static MappedRegion MapAnonymous(nuint length, string what)
    {
        var p = Libc.mmap(0, length, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (p == Libc.MAP_FAILED)
        {
            throw new NativeException($"mmap of {what} ({length} bytes)", Marshal.GetLastPInvokeError(),
                "not enough address space or memory for the guest");
        }

        // Guest RAM must not be shared with children (the VMM may spawn helpers).
        Libc.madvise(p, length, Libc.MADV_DONTFORK);
        return new MappedRegion(p, length);
    }

    /// <summary>
    /// Maps <paramref name="length"/> bytes of <paramref name="fd"/> from <paramref name="offset"/> private and read-write:
    /// reads come from the file (its page cache, shared), the first write to a page copies it (the file never changes).
    /// </summary>
    public static MappedRegion MapPrivateFile(int fd, nuint length, long offset, string what)
    {
        var p = Libc.mmap(0, length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_NORESERVE, fd, offset);
        if (p == Libc.MAP_FAILED)
        {
            throw new NativeException($"mmap of {what} ({length} bytes at offset {offset})", Marshal.GetLastPInvokeError());
        }

        Libc.madvise(p, length, Libc.MADV_DONTFORK);
        return new MappedRegion(p, length);
    }

    public void Dispose()
    {
        var p = Interlocked.Exchange(ref _address, 0);
        if (p != 0)
        {
            Libc.munmap(p, Length);
        }
    }
}

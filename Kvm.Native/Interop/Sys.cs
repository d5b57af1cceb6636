using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Interop;

/// <summary>
/// System calls at two levels: <c>Try*</c> returns 0/result or a negative errno (EINTR retried
/// inside where retrying is right), the others throw <see cref="NativeException"/> naming the call.
/// </summary>
public static unsafe class Sys
{
    /// <summary>
    /// setsid(2): a new session without a controlling terminal, so signals aimed at the caller's process
    /// group (Ctrl-C, the parent's job control) no longer reach this process. False if already a group leader.
    /// </summary>
    public static bool NewSession() => Libc.setsid() >= 0;

    /// <summary>execve(2) of <paramref name="path"/> with no arguments or environment; returns -errno if it returns at all.</summary>
    public static int TryExecve(string path)
    {
        nint* empty = stackalloc nint[1];
        empty[0] = 0;
        Libc.execve(path, empty, empty);
        return -Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// Becomes <paramref name="uid"/>:<paramref name="gid"/> with no supplementary groups, for real, effective and saved ids,
    /// on every thread (glibc applies set*id calls to all threads). Leaving uid 0 clears the permitted and effective
    /// capabilities. Throws if any step fails or the ids did not all change.
    /// </summary>
    public static void DropPrivileges(uint uid, uint gid)
    {
        if (Libc.setgroups(0, null) != 0)
        {
            throw new NativeException("setgroups", Marshal.GetLastPInvokeError());
        }

        if (Libc.setresgid(gid, gid, gid) != 0)
        {
            throw new NativeException($"setresgid({gid})", Marshal.GetLastPInvokeError());
        }

        if (Libc.setresuid(uid, uid, uid) != 0)
        {
            throw new NativeException($"setresuid({uid})", Marshal.GetLastPInvokeError());
        }

        uint r, e, s;
        if (Libc.getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid)
        {
            throw new InvalidOperationException($"still not uid {uid} after setresuid (real {r}, effective {e}, saved {s})");
        }
    }

    /// <summary>ioctl with a pointer argument; returns the result (≥ 0) or -errno. EINTR is retried.</summary>
    public static int TryIoctl(int fd, nuint request, void* arg)
    {
        while (true)
        {
            var r = Libc.ioctl(fd, request, arg);
            if (r >= 0)
            {
                return r;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>ioctl with an integer argument; returns the result (≥ 0) or -errno. EINTR is retried.</summary>
    public static int TryIoctl(int fd, nuint request, nuint arg)
    {
        while (true)
        {
            var r = Libc.ioctl(fd, request, arg);
            if (r >= 0)
            {
                return r;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>ioctl that is not retried on EINTR (KVM_RUN: EINTR means "kicked").</summary>
    public static int IoctlOnce(int fd, nuint request)
    {
        var r = Libc.ioctl(fd, request, 0);
        return r >= 0 ? r : -Marshal.GetLastPInvokeError();
    }

    /// <summary>ioctl with a pointer to <paramref name="arg"/>; returns the result or -errno.</summary>
    public static int TryIoctl<T>(int fd, nuint request, ref T arg)
        where T : unmanaged
    {
        // Safe: the pointer is pinned by 'fixed' for the duration of the call and the kernel writes at most sizeof(T)
        // (the request number encodes the size; tests check those against the C headers).
        fixed (T* p = &arg)
        {
            return TryIoctl(fd, request, p);
        }
    }

    public static int Ioctl<T>(int fd, nuint request, ref T arg, string name)
        where T : unmanaged
    {
        var r = TryIoctl(fd, request, ref arg);
        return r >= 0 ? r : throw new NativeException(name, -r);
    }

    /// <summary>ioctl with a byte buffer (variable-size structs: kvm_cpuid2, kvm_msrs, kvm_signal_mask).</summary>
    public static int TryIoctl(int fd, nuint request, Span<byte> arg)
    {
        fixed (byte* p = arg)
        {
            return TryIoctl(fd, request, p);
        }
    }

    public static int Ioctl(int fd, nuint request, void* arg, string name)
    {
        var r = TryIoctl(fd, request, arg);
        return r >= 0 ? r : throw new NativeException(name, -r);
    }

    public static int Ioctl(int fd, nuint request, nuint arg, string name)
    {
        var r = TryIoctl(fd, request, arg);
        return r >= 0 ? r : throw new NativeException(name, -r);
    }

    public static FileDescriptor Open(string path, int flags, uint mode = 0)
    {
        while (true)
        {
            var fd = Libc.open(path, flags | Libc.O_CLOEXEC, mode);
            if (fd >= 0)
            {
                return new FileDescriptor(fd);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw new NativeException($"open {path}", errno);
            }
        }
    }

    /// <summary>Reads at an offset until <paramref name="buffer"/> is full or EOF; returns bytes read or -errno.</summary>
    public static long TryPread(int fd, Span<byte> buffer, long offset)
    {
        long done = 0;
        fixed (byte* p = buffer)
        {
            while (done < buffer.Length)
            {
                var n = Libc.pread(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                if (n == 0)
                {
                    break;
                }

                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    return -errno;
                }

                done += n;
            }
        }

        return done;
    }

    /// <summary>Writes all of <paramref name="buffer"/> at an offset; returns bytes written or -errno.</summary>
    public static long TryPwrite(int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        long done = 0;
        fixed (byte* p = buffer)
        {
            while (done < buffer.Length)
            {
                var n = Libc.pwrite(fd, p + done, (nuint)(buffer.Length - done), offset + done);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    return -errno;
                }

                done += n;
            }
        }

        return done;
    }

    /// <summary>One read(2); returns bytes read, 0 at EOF, or -errno (EINTR retried).</summary>
    public static long TryRead(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.read(fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    return n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>One write(2); returns bytes written or -errno (EINTR retried).</summary>
    public static long TryWrite(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Libc.write(fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    return n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    return -errno;
                }
            }
        }
    }
}

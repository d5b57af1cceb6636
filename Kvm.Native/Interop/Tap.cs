using System.Runtime.InteropServices;
using System.Text;

namespace Formation.Kvm.Native.Interop;

/// <summary>
/// A TAP network device (/dev/net/tun, IFF_TAP | IFF_NO_PI): one Ethernet frame per read/write.
/// Opening an existing persistent TAP needs access to it; creating one needs CAP_NET_ADMIN.
/// </summary>
public sealed unsafe class Tap : IDisposable
{
    public const nuint TUNSETIFF = 0x400454ca;
    public const short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    public const int IfNameSize = 16;

    private readonly FileDescriptor _fd;
    private readonly FileDescriptor _wake;

    private Tap(FileDescriptor fd, string name)
    {
        _fd = fd;
        Name = name;
        var wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wake < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw new NativeException("eventfd", errno);
        }

        _wake = new FileDescriptor(wake);
    }

    /// <summary>The interface name the kernel gave the TAP.</summary>
    public string Name { get; }

    /// <summary>Attaches to (or creates) TAP <paramref name="name"/>; "tap%d" lets the kernel pick.</summary>
    public static Tap Open(string name)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length is 0 or >= IfNameSize)
        {
            throw new ArgumentException($"TAP name '{name}' must be 1-15 characters", nameof(name));
        }

        var fd = Sys.Open("/dev/net/tun", Libc.O_RDWR);
        var ifreq = stackalloc byte[40];
        new Span<byte>(ifreq, 40).Clear();
        nameBytes.CopyTo(new Span<byte>(ifreq, IfNameSize));
        *(short*)(ifreq + IfNameSize) = IFF_TAP | IFF_NO_PI;
        var r = Sys.TryIoctl(fd.Value, TUNSETIFF, ifreq);
        if (r < 0)
        {
            fd.Dispose();
            throw new NativeException($"TUNSETIFF {name}", -r,
                -r is Errno.EPERM or Errno.EACCES
                    ? "creating or attaching a TAP needs CAP_NET_ADMIN (run as root) or a persistent TAP owned by this user"
                    : null);
        }

        var actual = new string((sbyte*)ifreq, 0, IfNameSize).TrimEnd('\0');
        return new Tap(fd, actual);
    }

    /// <summary>Writes one frame; false on error (the frame is dropped).</summary>
    public bool TryWrite(ReadOnlySpan<byte> frame) => Sys.TryWrite(_fd.Value, frame) == frame.Length;

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for a frame and reads it. Returns its length, 0 on timeout
    /// or wake-up, -1 when the TAP is closed or failed.
    /// </summary>
    public int Read(Span<byte> buffer, int timeoutMs)
    {
        var fds = stackalloc Libc.PollFd[2];
        fds[0] = new Libc.PollFd { fd = _fd.Value, events = Libc.POLLIN };
        fds[1] = new Libc.PollFd { fd = _wake.Value, events = Libc.POLLIN };
        var r = Libc.poll(fds, 2, timeoutMs);
        if (r < 0)
        {
            return Marshal.GetLastPInvokeError() == Errno.EINTR ? 0 : -1;
        }

        if ((fds[1].revents & Libc.POLLIN) != 0 || r == 0 || _fd.IsClosed)
        {
            return 0;
        }

        var n = Sys.TryRead(_fd.Value, buffer);
        return n > 0 ? (int)n : n == -Errno.EAGAIN ? 0 : -1;
    }

    /// <summary>Makes a blocked <see cref="Read"/> return at once.</summary>
    public void Wake()
    {
        ulong one = 1;
        Libc.write(_wake.Value, &one, 8);
    }

    public void Dispose()
    {
        _fd.Dispose();
        _wake.Dispose();
    }
}

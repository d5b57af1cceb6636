using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Platform;

/// <summary>
/// Opens an existing TAP (<c>/dev/net/tun</c>, <c>TUNSETIFF</c> with <c>IFF_TAP | IFF_NO_PI</c>) and returns its descriptor,
/// for a jailed VMM that cannot open it itself (QEMU hot-plugging a NIC after it chrooted and dropped root). Needs
/// CAP_NET_ADMIN.
/// </summary>
public static class HostTap
{
    private const nuint TUNSETIFF = 0x400454ca;
    private const short IFF_TAP = 0x0002;
    private const short IFF_NO_PI = 0x1000;
    private const int IfNameSize = 16;
    private const int O_RDWR = 2;
    private const int O_CLOEXEC = 0x80000;

    public static SafeFileHandle Open(string name)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length is 0 or >= IfNameSize)
        {
            throw new ArgumentException($"TAP name '{name}' must be 1-15 characters", nameof(name));
        }

        var fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"open /dev/net/tun failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var ifreq = new byte[40]; // struct ifreq: name[16], then ifr_flags (short)
        nameBytes.CopyTo(ifreq, 0);
        BitConverter.TryWriteBytes(ifreq.AsSpan(IfNameSize), (short)(IFF_TAP | IFF_NO_PI));
        if (ioctl(fd, TUNSETIFF, ifreq) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"TUNSETIFF {name} failed: errno {errno}");
        }

        return handle;
    }

#pragma warning disable SYSLIB1054 // plain ints and a byte array; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, nuint request, byte[] argument);
#pragma warning restore SYSLIB1054
}

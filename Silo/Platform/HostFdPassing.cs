using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Formation.Silo.Platform;

/// <summary>
/// Sends a file descriptor over a connected Unix socket (<c>SCM_RIGHTS</c>) together with a message: how a process that
/// cannot open a path itself (a chrooted VMM running as an unprivileged uid) is handed a file the silo opened for it.
/// </summary>
public static class HostFdPassing
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int Eagain = 11;
    private const int Eintr = 4;

    /// <summary>Sends all of <paramref name="data"/> with <paramref name="fd"/> attached to its first byte.</summary>
    public static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data, SafeHandle fd, CancellationToken cancellationToken)
    {
        var sent = 0;
        var attempts = 0;
        while (true)
        {
            var n = TrySend(socket, data.Span, fd);
            if (n > 0)
            {
                sent = n;
                break;
            }

            var errno = -n;
            if (errno is not (Eagain or Eintr) || ++attempts > 500)
            {
                throw new IOException($"sendmsg with SCM_RIGHTS failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
            }

            await Task.Delay(2, cancellationToken); // the socket is non-blocking and its buffer is full: wait for room
        }

        // The descriptor went with the first byte; the rest (if the kernel took only part) goes as plain data.
        if (sent < data.Length)
        {
            await socket.SendAsync(data[sent..], SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>One sendmsg: the number of bytes sent, or minus the errno.</summary>
    private static int TrySend(Socket socket, ReadOnlySpan<byte> data, SafeHandle fd)
    {
        var addRef = false;
        var payload = Marshal.AllocHGlobal(data.Length);
        var iov = Marshal.AllocHGlobal(Marshal.SizeOf<IoVec>());
        var control = Marshal.AllocHGlobal(ControlSpace);
        try
        {
            fd.DangerousAddRef(ref addRef);
            Marshal.Copy(data.ToArray(), 0, payload, data.Length);
            Marshal.StructureToPtr(new IoVec { Base = payload, Length = (nuint)data.Length }, iov, false);

            // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } followed by one int, padded to 8.
            for (var i = 0; i < ControlSpace; i++)
            {
                Marshal.WriteByte(control, i, 0);
            }

            Marshal.WriteInt64(control, 0, ControlLength);
            Marshal.WriteInt32(control, 8, SolSocket);
            Marshal.WriteInt32(control, 12, ScmRights);
            Marshal.WriteInt32(control, 16, (int)fd.DangerousGetHandle());
            var message = new MsgHdr { Iov = iov, IovLength = 1, Control = control, ControlLength = ControlSpace };
            var n = sendmsg((int)socket.Handle, ref message, MsgNoSignal);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (addRef)
            {
                fd.DangerousRelease();
            }

            Marshal.FreeHGlobal(control);
            Marshal.FreeHGlobal(iov);
            Marshal.FreeHGlobal(payload);
        }
    }

    private const int ControlLength = 16 + sizeof(int); // CMSG_LEN(sizeof(int))
    private const int ControlSpace = 24; // CMSG_SPACE(sizeof(int))
    private const int MsgNoSignal = 0x4000;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public nint Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (x86-64/arm64 Linux layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public nint Name;
        public uint NameLength;
        public nint Iov;
        public nuint IovLength;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

#pragma warning disable SYSLIB1054 // a blittable struct by reference; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true)]
    private static extern nint sendmsg(int socket, ref MsgHdr message, int flags);
#pragma warning restore SYSLIB1054
}

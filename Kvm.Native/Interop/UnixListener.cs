using System.Net.Sockets;

namespace Formation.Kvm.Native.Interop;

/// <summary>Listening Unix stream sockets for the VMM's host-facing endpoints (control API, hybrid vsock).</summary>
public static class UnixListener
{
    /// <summary>
    /// Binds and listens on <paramref name="path"/>, mode 0600, replacing a stale socket file a dead VMM left behind; a
    /// socket someone still listens on is an <see cref="IOException"/> naming <paramref name="what"/>.
    /// </summary>
    public static Socket Bind(string path, string what, int backlog = 16)
    {
        if (File.Exists(path))
        {
            if (IsListening(path))
            {
                throw new IOException($"{what} {path} is in use by another process");
            }

            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return listener;
    }

    private static bool IsListening(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

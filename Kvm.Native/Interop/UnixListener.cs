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

    /// <summary>
    /// Accepts clients on <paramref name="listener"/> until <paramref name="stop"/> is cancelled or the listener is closed,
    /// handing each to <paramref name="serve"/> on the thread pool; a failed accept is skipped.
    /// </summary>
    public static async Task AcceptLoopAsync(Socket listener, CancellationToken stop, Action<Socket> serve)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            serve(client);
        }
    }

    /// <summary>Removes the socket file; a jailed VMM that may no longer write its directory leaves it to its owner.</summary>
    public static void TryRemove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A jailed VMM may not write the socket's directory any more: its owner removes a stale socket.
        }
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

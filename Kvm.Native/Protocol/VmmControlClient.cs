using System.Net.Sockets;

namespace Formation.Vmm.Protocol;

/// <summary>
/// The client end of formation-vmm's control socket. Each request uses its own connection, so a request that waits
/// (shutdown, wait) blocks nothing else.
/// </summary>
public static class VmmControlClient
{
    /// <summary>
    /// Sends <paramref name="request"/> and returns its result. A refusal (<c>"ok":false</c>) is an
    /// <see cref="InvalidOperationException"/> with formation-vmm's message; a connection that closes without an
    /// answer or an unreadable answer is an <see cref="IOException"/>.
    /// </summary>
    public static async Task<TResult> SendAsync<TResult>(string socketPath, VmmRequest<TResult> request, CancellationToken cancellationToken)
    {
        using var socket = await ConnectAsync(socketPath, cancellationToken);
        var reply = await ExchangeAsync(socket, request, cancellationToken);
        return reply.Result!;
    }

    /// <summary>A connection switched to the raw console stream (after <see cref="ConsoleRequest"/>).</summary>
    public static async Task<Socket> OpenConsoleAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = await ConnectAsync(socketPath, cancellationToken);
        try
        {
            var reply = await ExchangeAsync(socket, new ConsoleRequest(), cancellationToken);
            if (reply.Result is not { Attached: true })
            {
                throw new IOException("formation-vmm did not attach the console");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<VmmReply<TResult>> ExchangeAsync<TResult>(Socket socket, VmmRequest<TResult> request, CancellationToken cancellationToken)
    {
        var command = VmmProtocol.CommandOf(request);
        await socket.SendAsync(VmmProtocol.SerializeRequest(request), SocketFlags.None, cancellationToken);
        var line = await ReadLineAsync(socket, exact: request is ConsoleRequest, cancellationToken)
            ?? throw new IOException($"formation-vmm closed the control connection without answering '{command}'");
        VmmReply<TResult> reply;
        try
        {
            reply = VmmProtocol.ParseReply<TResult>(line);
        }
        catch (InvalidDataException e)
        {
            throw new IOException(e.Message, e);
        }

        return reply.Ok ? reply : throw new InvalidOperationException($"formation-vmm refused '{command}': {reply.Error}");
    }

    /// <summary>
    /// Reads one line (without its newline); null when the connection closes first. After a console reply the next
    /// bytes are console output, so that line is read one byte at a time and nothing past the newline is consumed.
    /// </summary>
    private static async Task<byte[]?> ReadLineAsync(Socket socket, bool exact, CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        var buffer = new byte[exact ? 1 : 4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            var end = Array.IndexOf(buffer, (byte)'\n', 0, read);
            line.Write(buffer, 0, end < 0 ? read : end);
            if (end >= 0)
            {
                return line.ToArray();
            }

            if (line.Length > VmmProtocol.MaxLineBytes)
            {
                throw new IOException($"formation-vmm's reply is longer than {VmmProtocol.MaxLineBytes} bytes");
            }
        }

        return null;
    }

    private static async Task<Socket> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

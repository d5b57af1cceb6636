using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// The one TCP connection a live migration's stream travels on, from the old node's overlay address to the new node's:
/// inside the mesh's WireGuard tunnel, so neither the underlay nor another host sees the guest's memory. The new node
/// listens on its overlay address; it takes the connection only from the old node's overlay address (a guest cannot send
/// from it: the bridge guard drops spoofed sources, WireGuard accepts from a peer only its own addresses) and only if it
/// opens with the move's one-time token, and answers one byte before the stream is handed to the hypervisor. Anything
/// else that connects is closed, and the wait goes on until the deadline.
/// </summary>
public sealed class MigrationChannel : IAsyncDisposable
{
    private const int TokenBytes = 32;
    private const byte Accepted = 0x01;
    private static readonly TimeSpan TokenWait = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly byte[] _token;
    private readonly IPAddress _peer;

    private MigrationChannel(TcpListener listener, byte[] token, IPAddress peer)
    {
        _listener = listener;
        _token = token;
        _peer = peer;
    }

    /// <summary>Connections closed so far because they came from elsewhere or did not open with the token.</summary>
    public int Refused { get; private set; }

    /// <summary>Where the old node sends the stream.</summary>
    public MigrationInbox Inbox { get; private init; } = null!;

    /// <summary>Listens on <paramref name="local"/> (a free port) for the stream from <paramref name="peer"/>.</summary>
    public static MigrationChannel Open(IPAddress local, IPAddress peer)
    {
        var listener = new TcpListener(local, 0);
        listener.Start(backlog: 4);
        var token = RandomNumberGenerator.GetBytes(TokenBytes);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return new MigrationChannel(listener, token, peer) { Inbox = new MigrationInbox(local.ToString(), port, Convert.ToHexStringLower(token)) };
    }

    /// <summary>The old node's connection, once it has shown the token; a <see cref="TimeoutException"/> if none came by <paramref name="deadline"/>.</summary>
    public async Task<Socket> AcceptAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(timeout.Token);
                if (await AdmitAsync(socket, timeout.Token))
                {
                    return socket;
                }

                Refused++;
                socket.Dispose();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"the old node did not open the migration stream within {deadline.TotalSeconds:0} s{(Refused > 0 ? $" ({Refused} other connection(s) refused)" : "")}");
        }
    }

    private async Task<bool> AdmitAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (socket.RemoteEndPoint is not IPEndPoint remote || !remote.Address.Equals(_peer))
        {
            return false;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TokenWait);
        var presented = new byte[TokenBytes];
        try
        {
            var read = 0;
            while (read < TokenBytes)
            {
                var n = await socket.ReceiveAsync(presented.AsMemory(read), SocketFlags.None, wait.Token);
                if (n == 0)
                {
                    return false;
                }

                read += n;
            }

            if (!CryptographicOperations.FixedTimeEquals(presented, _token))
            {
                return false;
            }

            await socket.SendAsync(new[] { Accepted }, SocketFlags.None, wait.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>The old node's side: connects to <paramref name="inbox"/>, shows the token and waits for the new node's yes.</summary>
    public static async Task<Socket> ConnectAsync(MigrationInbox inbox, CancellationToken cancellationToken)
    {
        if (!IPAddress.TryParse(inbox.Address, out var address) || inbox.Port is <= 0 or > 65535 ||
            inbox.Token.Length != TokenBytes * 2 || !IsHex(inbox.Token))
        {
            throw new ArgumentException($"the new node's migration inbox ({inbox.Address}:{inbox.Port}) is malformed");
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TokenWait * 2);
            await socket.ConnectAsync(new IPEndPoint(address, inbox.Port), wait.Token);
            await socket.SendAsync(Convert.FromHexString(inbox.Token), SocketFlags.None, wait.Token);
            var answer = new byte[1];
            if (await socket.ReceiveAsync(answer, SocketFlags.None, wait.Token) != 1 || answer[0] != Accepted)
            {
                throw new IOException($"node at {inbox.Address} refused the migration stream (it took another connection, or its wait ended)");
            }

            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"the new node at {inbox.Address}:{inbox.Port} did not take the migration stream within {(TokenWait * 2).TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool IsHex(string text) => text.All(Uri.IsHexDigit);

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}

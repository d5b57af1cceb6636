using System.Net;
using System.Net.Sockets;
using System.Text;
using Formation.Edge;
using Formation.Silo.Edge;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Edge;

/// <summary>
/// The edge's L4 forwarder over real sockets on this host: replicas are TCP servers on loopback that answer each read
/// with their name and the bytes. (Guests behind it: <c>TcpRouteCliTests</c> in the CLI tests.)
/// </summary>
public sealed class EdgeTcpProxyTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly List<Replica> _replicas = [];
    private readonly EdgeTable _table = new(TimeProvider.System);
    private readonly EdgeOptions _options = new() { ConnectTimeout = TimeSpan.FromSeconds(1), FailurePenalty = TimeSpan.FromSeconds(30) };
    private readonly int _listen = FreePorts.Next();
    private EdgeTcpProxy? _proxy;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connections_GoToTheReplicasInTurn_ARefusingOneIsSkippedAndMarked()
    {
        var a = Start("A");
        var b = Start("B");
        var dead = $"127.0.0.1:{FreePorts.Next()}"; // nothing listens there: refused
        await StartProxyAsync([a.Destination, dead, b.Destination]);

        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var client = await ConnectAsync();
            answers.Add(await ExchangeAsync(client, $"hello {i}"));
        }

        Assert.All(answers, (answer, i) => Assert.EndsWith($":hello {i}", answer));
        // In turn over A, dead, B; the dead one's turns go to the next healthy one: A gets 2 of 6, B 4.
        Assert.Equal(2, answers.Count(x => x.StartsWith("A:", StringComparison.Ordinal)));
        Assert.Equal(4, answers.Count(x => x.StartsWith("B:", StringComparison.Ordinal)));
        Assert.False(_table.IsHealthy(dead));
        Assert.Equal(0, _table.InFlightTo(a.Destination)); // every connection ended: its lease too
    }

    [Fact]
    public async Task HalfClose_IsPassedOn_TheAnswerStillComesBack()
    {
        var a = Start("A");
        await StartProxyAsync([a.Destination]);
        using var client = await ConnectAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("last words"), SocketFlags.None, Ct);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("A:last words", await ReadToEndAsync(client));
        await Eventually.HoldsAsync(() => Task.FromResult(a.ClosedByPeer), closed => closed, TimeSpan.FromSeconds(5), "the replica to see the client's end of stream");
    }

    [Fact]
    public async Task OverTheCap_NewConnectionsAreClosed_TheOpenOnesAreNot_AndRoomComesBack()
    {
        _options.TcpMaxConnections = 2;
        var a = Start("A");
        await StartProxyAsync([a.Destination]);
        using var one = await ConnectAsync();
        var two = await ConnectAsync();
        Assert.Equal("A:1", await ExchangeAsync(one, "1"));
        Assert.Equal("A:2", await ExchangeAsync(two, "2"));

        using (var three = await ConnectAsync())
        {
            Assert.Equal("", await ReadToEndAsync(three)); // closed by the edge without a byte
        }

        Assert.Equal("A:1 again", await ExchangeAsync(one, "1 again"));
        two.Dispose();
        await Eventually.HoldsAsync(async () =>
        {
            using var four = await ConnectAsync();
            try
            {
                return await ExchangeAsync(four, "4");
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
            {
                return ex.Message;
            }
        }, answer => answer == "A:4", TimeSpan.FromSeconds(10), "a connection to fit again once one closed");
    }

    [Fact]
    public async Task IdleConnection_IsClosed_ABusyOneIsNot()
    {
        _options.TcpIdleTimeout = TimeSpan.FromMilliseconds(600);
        var a = Start("A");
        await StartProxyAsync([a.Destination]);
        using var busy = await ConnectAsync();
        using var idle = await ConnectAsync();
        Assert.Equal("A:x", await ExchangeAsync(idle, "x"));
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal($"A:{i}", await ExchangeAsync(busy, $"{i}")); // 8 × 200 ms: well past the idle timeout in all
            await Task.Delay(200, Ct);
        }

        Assert.Equal("", await ReadToEndAsync(idle));
    }

    [Fact]
    public async Task RouteDeleted_ListenerCloses_AnOpenConnectionCarriesOn()
    {
        var a = Start("A");
        await StartProxyAsync([a.Destination]);
        using var open = await ConnectAsync();
        Assert.Equal("A:before", await ExchangeAsync(open, "before"));

        _table.ReplaceTcp([]);
        Assert.Empty(_proxy!.ListeningPorts);
        var refused = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Equal("A:after", await ExchangeAsync(open, "after"));

        // Added back: it listens again.
        _table.ReplaceTcp([(new EdgeTcpRoute(_listen, "svc", a.Port, Now), [a.Destination])]);
        using var again = await ConnectAsync();
        Assert.Equal("A:again", await ExchangeAsync(again, "again"));
    }

    [Fact]
    public async Task ARouteOnTheSilosOwnPort_IsNotOpened_NoReplica_ClosesTheConnection()
    {
        var a = Start("A");
        _options.ReservedPorts.Add(_listen);
        await StartProxyAsync([a.Destination]);
        Assert.Empty(_proxy!.ListeningPorts);
        await Assert.ThrowsAsync<SocketException>(() => ConnectAsync());

        _options.ReservedPorts.Clear();
        _table.ReplaceTcp([(new EdgeTcpRoute(_listen, "svc", a.Port, Now), [])]);
        using var client = await ConnectAsync();
        Assert.Equal("", await ReadToEndAsync(client));
    }

    private async Task StartProxyAsync(IReadOnlyList<string> destinations)
    {
        _proxy = new EdgeTcpProxy(_table, _options, NullLogger<EdgeTcpProxy>.Instance);
        await _proxy.StartAsync(Ct);
        _table.ReplaceTcp([(new EdgeTcpRoute(_listen, "svc", 1, Now), destinations)]);
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _listen), Ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<string> ExchangeAsync(Socket socket, string text)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None, Ct);
        var buffer = new byte[1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    /// <summary>Everything until the other side ends the stream (a reset counts as the end), within 10 s.</summary>
    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var text = new StringBuilder();
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return text.ToString();
    }

    private Replica Start(string name)
    {
        var replica = new Replica(name);
        _replicas.Add(replica);
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        foreach (var r in _replicas)
        {
            r.Dispose();
        }
    }

    /// <summary>A TCP server on loopback that answers each read with "NAME:" and the bytes read.</summary>
    private sealed class Replica : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string _name;

        public Replica(string name)
        {
            _name = name;
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public string Destination => $"127.0.0.1:{Port}";

        public bool ClosedByPeer { get; private set; }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = ServeAsync(socket);
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var _ = socket;
            var buffer = new byte[1024];
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"{_name}:{Encoding.ASCII.GetString(buffer, 0, read)}"), SocketFlags.None);
                }

                ClosedByPeer = true;
            }
            catch (SocketException)
            {
            }
        }

        public void Dispose() => _listener.Stop();
    }
}

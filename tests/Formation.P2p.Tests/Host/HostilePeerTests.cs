using System.Net.Sockets;
using Formation.P2p.Addressing;
using Formation.P2p.Host;
using Formation.P2p.Identity;
using Formation.P2p.Kad;
using Formation.P2p.Multistream;
using Formation.P2p.Noise;
using Formation.P2p.Tests.Support;
using Formation.P2p.Tests.Yamux;
using Formation.P2p.Yamux;

namespace Formation.P2p.Tests.Host;

/// <summary>Attacks over real TCP: the attacker's connection is closed, and the node keeps serving an honest peer.</summary>
public sealed class HostilePeerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task MalformedVarintAndOversizedMultistream_CloseTheConnection()
    {
        await using var node = await TestNodes.StartAsync();
        using (var attacker = await RawAsync(node))
        {
            await attacker.WriteAsync(Enumerable.Repeat((byte)0xFF, 12).ToArray());
            await AssertClosedAsync(attacker);
        }

        using (var attacker = await RawAsync(node))
        {
            byte[] oversized = [0xFF, 0x7F, .. new byte[64]];
            await attacker.WriteAsync(oversized);
            await AssertClosedAsync(attacker);
        }

        await AssertStillServesAsync(node);
    }

    [Fact]
    public async Task NoiseWithBadSignatureOrTruncatedFrame_CloseTheConnection()
    {
        await using var node = await TestNodes.StartAsync();
        using (var attacker = await RawAsync(node))
        {
            await MultistreamSelect.SelectAsync(attacker, [NoiseHandshake.ProtocolId], default);
            await NoiseHandshake.RunAsync(attacker, Ed25519KeyPair.Generate(), true, [], node.Host.PeerId, signedStaticKey: new byte[32], default);
            await AssertClosedAsync(attacker);
        }

        using (var attacker = await RawAsync(node))
        {
            await MultistreamSelect.SelectAsync(attacker, [NoiseHandshake.ProtocolId], default);
            byte[] truncated = [0x00, 0x20, 1, 2, 3];
            await attacker.WriteAsync(truncated);
            attacker.Socket.Shutdown(SocketShutdown.Send);
            await AssertClosedAsync(attacker);
        }

        Assert.Empty(node.Host.Connections);
        await AssertStillServesAsync(node);
    }

    [Fact]
    public async Task YamuxWindowAbuseAndStreamFlood_CloseTheConnection()
    {
        await using var node = await TestNodes.StartAsync();
        var (window, raw1) = await SecuredAsync(node);
        await WriteUntilClosedAsync(window, [YamuxSessionTests.Header(1, 1, 1, 0), YamuxSessionTests.Header(0, 0, 1, YamuxOptions.InitialWindow + 1), new byte[YamuxOptions.InitialWindow + 1]]);
        await AssertClosedAsync(window);

        var (flood, raw2) = await SecuredAsync(node);
        await WriteUntilClosedAsync(flood, [.. Enumerable.Range(0, 1000).Select(i => YamuxSessionTests.Header(1, 1, (uint)(2 * i + 1), 0))]);

        await AssertClosedAsync(flood);
        raw1.Dispose();
        raw2.Dispose();
        await AssertStillServesAsync(node);
    }

    [Fact]
    public async Task ConnectionLimits_RefuseTheExcess()
    {
        var node = new P2pNode(new P2pHostOptions
        {
            Identity = Ed25519KeyPair.Generate(),
            ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")],
            MaxConnections = 4,
            MaxPendingInbound = 2,
            HandshakeTimeout = TimeSpan.FromSeconds(2),
        });
        await node.StartAsync();
        await using var _ = node;
        // Two silent connections fill the handshake slots; the third is closed at once.
        using var silent1 = await RawAsync(node);
        using var silent2 = await RawAsync(node);
        await Task.Delay(200);
        using var third = await RawAsync(node);
        await AssertClosedAsync(third);
        // The silent ones time out of their handshake, then an honest peer gets in.
        await AssertClosedAsync(silent1);
        await AssertStillServesAsync(node);
    }

    [Fact]
    public async Task VanishedPeer_LeavesTheRoutingTable_AndARestartKeepsThePeerId()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await TestNodes.StartAsync(new KadOptions { RefreshInterval = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(2) });
        var identity = Ed25519KeyPair.Generate();
        var b = await TestNodes.StartAsync(identity: identity);
        await b.Dht.BootstrapAsync([a.Address()], ct);
        await TestNodes.WaitUntilAsync(() => a.Dht.RoutingTable.Contains(b.Host.PeerId), Deadline, "A to route B");
        await b.DisposeAsync();
        await TestNodes.WaitUntilAsync(() => !a.Dht.RoutingTable.Contains(identity.PeerId), Deadline, "A to drop the vanished B");

        await using var restarted = await TestNodes.StartAsync(identity: identity);
        Assert.Equal(identity.PeerId, restarted.Host.PeerId);
        await restarted.Dht.BootstrapAsync([a.Address()], ct);
        await TestNodes.WaitUntilAsync(() => a.Dht.RoutingTable.Contains(identity.PeerId), Deadline, "A to route the restarted B");
    }

    private static async Task<NetworkStream> RawAsync(P2pNode node)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(node.Host.ListenAddresses[0].ToTcpEndPoint()!);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>An authenticated connection with yamux negotiated, for writing raw yamux frames.</summary>
    private static async Task<(NoiseStream Stream, NetworkStream Raw)> SecuredAsync(P2pNode node)
    {
        var raw = await RawAsync(node);
        await MultistreamSelect.SelectAsync(raw, [NoiseHandshake.ProtocolId], default);
        var noise = await NoiseHandshake.RunAsync(raw, Ed25519KeyPair.Generate(), true, ["/yamux/1.0.0"], node.Host.PeerId, default);
        return (noise.Stream, raw);
    }

    /// <summary>Writes the attack; the node may cut the connection part way (a broken pipe is the expected outcome).</summary>
    private static async Task WriteUntilClosedAsync(Stream stream, IEnumerable<byte[]> frames)
    {
        try
        {
            foreach (var frame in frames)
            {
                await stream.WriteAsync(frame);
            }
        }
        catch (IOException)
        {
            // Closed by the node already.
        }
    }

    private static async Task AssertClosedAsync(Stream stream)
    {
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or P2pProtocolException)
        {
            // Reset by the node: closed too.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the node did not close the connection within {Deadline}");
        }
    }

    private static async Task AssertStillServesAsync(P2pNode node)
    {
        await using var honest = await TestNodes.StartAsync();
        await honest.Host.ConnectAsync(node.Address(), default);
        Assert.True(await honest.Ping.PingAsync(node.Host.PeerId, default) > TimeSpan.Zero);
    }
}

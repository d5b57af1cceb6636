using Formation.P2p.Identify;
using Formation.P2p.Kad;
using Formation.P2p.Ping;
using Formation.P2p.Tests.Support;

namespace Formation.P2p.Tests.Interop;

/// <summary>Noise + yamux + identify + ping against js-libp2p, in both directions.</summary>
public sealed class ConnectionInteropTests
{
    [Fact]
    public async Task CSharpDialsJs_PingAndIdentify_Work()
    {
        await using var js = await JsPeer.StartAsync(new { dht = true });
        await using var node = await TestNodes.StartAsync();

        var connection = await node.Host.ConnectAsync(js.Addresses[0], TestContext.Current.CancellationToken);
        Assert.Equal(js.PeerId, connection.RemotePeer);

        var rtt = await node.Ping.PingAsync(js.PeerId, TestContext.Current.CancellationToken);
        Assert.True(rtt > TimeSpan.Zero);

        var identified = await node.Identify.IdentifyAsync(connection, TestContext.Current.CancellationToken);
        Assert.Contains(PingService.ProtocolId, identified.Protocols);
        Assert.Contains("/ipfs/kad/1.0.0", identified.Protocols);
        Assert.NotNull(identified.ObservedAddress);
        Assert.Equal(node.Host.ListenAddresses[0].ToTcpEndPoint()!.Address, identified.ObservedAddress!.ToTcpEndPoint()!.Address);

        // js identified us too: it knows our protocols and listen address.
        var seen = await js.WaitForEventAsync(e => e["event"]!.GetValue<string>() == "identify" && e["peer"]!.GetValue<string>() == node.Host.PeerId.ToString(), TimeSpan.FromSeconds(20));
        var protocols = seen["protocols"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains(IdentifyService.ProtocolId, protocols);
        Assert.Contains(new KadOptions().ProtocolId, protocols);
        Assert.Contains(PingService.ProtocolId, protocols);
    }

    [Fact]
    public async Task JsDialsCSharp_PingAndIdentify_Work()
    {
        await using var node = await TestNodes.StartAsync();
        await using var js = await JsPeer.StartAsync(new { dht = true });

        var dial = await js.CallAsync("dial", new { addr = node.Address().ToString() });
        Assert.Equal(node.Host.PeerId.ToString(), dial["peer"]!.GetValue<string>());
        // js allows one outbound ping stream per connection and its DHT pings new contacts too: retry on that refusal.
        await TestNodes.WaitUntilAsync(async () =>
        {
            var ping = await js.TryCallAsync("ping", new { addr = node.Address().ToString() });
            Assert.True(ping["ok"]!.GetValue<bool>() || ping["error"]!.GetValue<string>().Contains("TooManyOutboundProtocolStreams"), $"js ping failed: {ping["error"]}");
            return ping["ok"]!.GetValue<bool>();
        }, TimeSpan.FromSeconds(20), "a js ping of the C# node");

        var seen = await js.WaitForEventAsync(e => e["event"]!.GetValue<string>() == "identify" && e["peer"]!.GetValue<string>() == node.Host.PeerId.ToString(), TimeSpan.FromSeconds(20));
        Assert.Equal(node.Host.Options.AgentVersion, seen["agent"]!.GetValue<string>());
        var info = await js.CallAsync("peer", new { peer = node.Host.PeerId.ToString() });
        Assert.Contains(node.Host.ListenAddresses[0].ToString(), info["addrs"]!.AsArray().Select(a => a!.GetValue<string>()));

        // C# pings js back over the inbound connection and identified js.
        await TestNodes.WaitUntilAsync(() => node.Host.Peers.Get(js.PeerId)?.Supports(PingService.ProtocolId) == true, TimeSpan.FromSeconds(20), "C# to identify js");
        Assert.True(await node.Ping.PingAsync(js.PeerId, TestContext.Current.CancellationToken) > TimeSpan.Zero);
        Assert.Single(node.Host.ConnectionsTo(js.PeerId));
    }
}

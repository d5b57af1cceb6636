using Formation.P2p.Addressing;
using Formation.P2p.Host;
using Formation.P2p.Identity;
using Formation.P2p.Mdns;
using Formation.P2p.Tests.Support;

namespace Formation.P2p.Tests.Interop;

/// <summary>mDNS discovery between C# and js-libp2p inside a private network namespace (multicast never leaves it).</summary>
public sealed class MdnsInteropTests
{
    [Fact]
    public async Task MdnsInNamespace_CSharpAndJsDiscoverEachOther()
    {
        Assert.True(Environment.UserName == "root", "this test creates a network namespace and needs root (the project's tests run as root)");
        using var ns = NetworkNamespace.Create();
        var host = new P2pHost(new P2pHostOptions { Identity = Ed25519KeyPair.Generate(), ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] }, StderrLoggerFactory.Instance);
        _ = new Identify.IdentifyService(host);
        var ping = new Ping.PingService(host);
        // Sockets made inside the namespace; the dial sockets of auto-dial would not be, so js does the dialling.
        var mdns = new MdnsDiscovery(host, new MdnsOptions { QueryInterval = TimeSpan.FromSeconds(1), AutoDial = false });
        var found = new TaskCompletionSource<(PeerId, IReadOnlyList<Multiaddr>)>(TaskCreationOptions.RunContinuationsAsynchronously);
        mdns.PeerDiscovered += (peer, addrs) => found.TrySetResult((peer, addrs));
        ns.Run(() =>
        {
            host.StartAsync().GetAwaiter().GetResult();
            mdns.Start();
        });
        await using var _host = host;
        await using var _mdns = mdns;

        await using var js = await JsPeer.StartAsync(new { mdns = true, mdnsInterval = 1000 }, ns.Wrapper);

        // C# hears js's responses: its PeerId and its dial address (TXT dnsaddr in the answer section).
        var (peer, addresses) = await found.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(js.PeerId, peer);
        Assert.Contains(js.Addresses[0].WithoutPeerId(), addresses);

        // js hears C#'s responses and can dial the advertised address.
        var discovery = await js.WaitForEventAsync(e => e["event"]!.GetValue<string>() == "discovery" && e["peer"]!.GetValue<string>() == host.PeerId.ToString(), TimeSpan.FromSeconds(30));
        Assert.Contains(host.ListenAddresses[0].ToString(), discovery["addrs"]!.AsArray().Select(a => a!.GetValue<string>()));
        await js.CallAsync("dial", new { peer = host.PeerId.ToString() });
        await js.CallAsync("ping", new { peer = host.PeerId.ToString() });
        Assert.True(await ping.PingAsync(js.PeerId, TestContext.Current.CancellationToken) > TimeSpan.Zero);
    }
}

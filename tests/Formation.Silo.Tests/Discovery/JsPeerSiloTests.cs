using Formation.P2p.Records;
using Formation.P2p.Tests.Support;

namespace Formation.Silo.Tests.Discovery;

/// <summary>js-libp2p (the interop peer, tests/Formation.P2p.Tests/js) and a running silo, in both directions.</summary>
[Trait("Category", "Slow")]
public sealed class JsPeerSiloTests : IAsyncDisposable
{
    private readonly TestDirectory _data = new("dc-js");
    private SiloProcess? _silo;
    private JsPeer? _js;

    [Fact]
    public async Task JsPeer_DialsTheSilo_IdentifiesIt_AndFetchesItsSignedNodeRecord()
    {
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions("dc-js-target", _data.Path));
        var self = await SiloReads.SelfAsync(_silo);
        var address = await SiloReads.AddressAsync(_silo);
        _js = await JsPeer.StartAsync(new { dht = true });

        var dialled = await _js.CallAsync("dial", new { addr = address.ToString() });
        Assert.Equal(self.PeerId, dialled["peer"]!.GetValue<string>());
        var identify = await _js.WaitForEventAsync(e => e["event"]!.GetValue<string>() == "identify" && e["peer"]!.GetValue<string>() == self.PeerId, TimeSpan.FromSeconds(30));
        var protocols = identify["protocols"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains(NodeRecordService.ProtocolId, protocols);
        Assert.Contains("/ipfs/kad/1.0.0", protocols);
        Assert.StartsWith("formation-silo/", identify["agent"]!.GetValue<string>(), StringComparison.Ordinal);

        // js reads the record over /formation/node/1.0.0 and checks its envelope signature itself.
        var answer = await _js.CallAsync("nodeRecord", new { addr = address.ToString() });
        Assert.Equal(self.PeerId, answer["signer"]!.GetValue<string>());
        var record = NodeRecordVerifier.TryOpen(Convert.FromBase64String(answer["envelope"]!.GetValue<string>()), "formation", out var reason);
        Assert.True(record is not null, reason);
        Assert.Equal(("dc-js-target", self.PeerId), (record.NodeId, record.PeerId.ToString()));
        Assert.Equal([_silo.Gateway], record.GatewayEndpoints);
        Assert.Equal([self.SiloEndpoint], record.SiloEndpoints);
        Assert.Equal(address.WithoutPeerId(), Assert.Single(record.Multiaddrs));
        Assert.Equal(self.Allocatable.VCpus, record.Capacity!.VCpus);
        Assert.Null(record.WireGuardPublicKey);

        // The silo lists the js peer it was dialled by, from identify (it sends no record).
        var row = await SiloReads.WaitForPeerAsync(_silo, r => r.PeerId == _js.PeerId.ToString() && r.Protocols.Contains("/ipfs/ping/1.0.0"), "the js peer");
        Assert.Equal("", row.NodeId);
        Assert.Null(row.RecordSequence);
    }

    [Fact]
    public async Task Silo_JoinsThroughAJsPeer_AndDialsIt()
    {
        _js = await JsPeer.StartAsync(new { dht = true });
        var jsAddress = _js.Addresses[0].ToString();
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions("dc-js-joiner", _data.Path) { ExtraArguments = ["--join", jsAddress] });
        var self = await SiloReads.SelfAsync(_silo);

        await Eventually.HoldsAsync(() => _js.CallAsync("connections"),
            c => c["peers"]!.AsArray().Any(p => p!["peer"]!.GetValue<string>() == self.PeerId), TimeSpan.FromSeconds(60), "the silo's connection at the js peer");
        var row = await SiloReads.WaitForPeerAsync(_silo, r => r.PeerId == _js.PeerId.ToString() && r.Connected && r.Protocols.Contains("/ipfs/kad/1.0.0"), "the js peer, identified");
        Assert.Contains("js-libp2p", row.Agent, StringComparison.Ordinal);
        Assert.Contains("libp2p: joined through 1 of 1 peers", _silo.Output, StringComparison.Ordinal);

        // The js DHT now routes to the silo (it identified and pinged it).
        await Eventually.HoldsAsync(() => _js.CallAsync("routingTable"),
            t => t["peers"]!.AsArray().Any(p => p!.GetValue<string>() == self.PeerId), TimeSpan.FromSeconds(60), "the silo in the js routing table");
    }

    public async ValueTask DisposeAsync()
    {
        if (_js is not null)
        {
            await _js.DisposeAsync();
        }

        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        _data.Dispose();
    }
}

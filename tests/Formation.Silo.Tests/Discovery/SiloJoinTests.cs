using Formation.P2p.Identity;

namespace Formation.Silo.Tests.Discovery;

/// <summary>
/// Real formation-silo processes find each other with libp2p: B and C join through A only, learn every member's signed
/// node record (C finds B through the DHT, never having been told about it), keep records fresh, and keep their PeerId
/// across a restart.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SiloJoinTests : IAsyncDisposable
{
    private readonly TestDirectory _data = new("dc-join");
    private readonly List<SiloProcess> _silos = [];

    [Fact]
    public async Task JoinThroughOnePeer_LearnsEveryMembersRecord_AndKeepsThemFresh()
    {
        var a = await StartAsync("dc-a");
        var aInfo = await SiloReads.SelfAsync(a);
        var aAddress = await SiloReads.AddressAsync(a);
        Assert.Equal(aInfo.PeerId, aAddress.PeerId!.ToString());
        Assert.StartsWith("12D3KooW", aInfo.PeerId, StringComparison.Ordinal);
        Assert.Equal($"/ip4/127.0.0.1/tcp/{a.Options.P2pPort}/p2p/{aInfo.PeerId}", aAddress.ToString());
        Assert.Contains($"libp2p {aAddress}", a.Output, StringComparison.Ordinal);

        var identity = Path.Combine(_data.Path, "dc-a", "p2p", "identity.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(identity));

        var b = await StartAsync("dc-b", "--join", aAddress.ToString());
        var c = await StartAsync("dc-c", "--join", aAddress.ToString());
        var bInfo = await SiloReads.SelfAsync(b);
        var cInfo = await SiloReads.SelfAsync(c);
        Assert.Equal(3, new[] { aInfo.PeerId, bInfo.PeerId, cInfo.PeerId }.Distinct().Count());

        // Every silo ends up with the other two's records: node id, record sequence and addresses.
        foreach (var (silo, others) in new[] { (a, new[] { bInfo, cInfo }), (b, new[] { aInfo, cInfo }), (c, new[] { aInfo, bInfo }) })
        {
            foreach (var other in others)
            {
                var row = await SiloReads.WaitForPeerAsync(silo, r => r.PeerId == other.PeerId && r.NodeId == other.NodeId && r.RecordSequence is not null,
                    $"{other.NodeId}'s record");
                Assert.Contains(other.Multiaddrs![0].Replace($"/p2p/{other.PeerId}", ""), row.Addresses);
                Assert.Equal(silo.Options.NodeId, row.SeenBy);
            }
        }

        // Records stay fresh: A re-signs every 2 s here and B sees the sequence go up.
        var first = (await SiloReads.PeersAsync(b)).Single(r => r.PeerId == aInfo.PeerId).RecordSequence!.Value;
        await SiloReads.WaitForPeerAsync(b, r => r.PeerId == aInfo.PeerId && r.RecordSequence > first, "a newer record of dc-a");

        // A restarted node keeps its PeerId (the identity file) and is found again.
        await a.StopAsync();
        _silos.Remove(a);
        var again = await StartAsync("dc-a", a.Options.P2pPort);
        Assert.Equal(aInfo.PeerId, (await SiloReads.SelfAsync(again)).PeerId);
        Assert.Equal(PeerId.Parse(aInfo.PeerId), (await SiloReads.AddressAsync(again)).PeerId);
    }

    [Fact]
    public async Task BadJoinAddress_StopsTheSiloWithAClearMessage()
    {
        var options = new SiloProcessOptions("dc-bad", Path.Combine(_data.Path, "dc-bad")) { ExtraArguments = ["--join", "/ip4/127.0.0.1/tcp/4001"] };
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(options));
        Assert.Contains("must name a TCP address and end in /p2p/<PeerId>", error.Message, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        _data.Dispose();
    }

    private Task<SiloProcess> StartAsync(string nodeId, params string[] extra) => StartAsync(nodeId, null, extra);

    private async Task<SiloProcess> StartAsync(string nodeId, int? p2pPort, params string[] extra)
    {
        var options = new SiloProcessOptions(nodeId, Path.Combine(_data.Path, nodeId))
        {
            ExtraArguments = extra,
            Environment = new() { ["Formation__Discovery__RecordRefresh"] = "00:00:02" },
        };
        if (p2pPort is { } port)
        {
            options = options with { P2pPort = port };
        }

        var silo = await SiloProcess.StartAsync(options);
        _silos.Add(silo);
        return silo;
    }
}

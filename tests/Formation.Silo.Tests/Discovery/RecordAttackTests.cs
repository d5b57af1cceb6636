using Formation.P2p;
using Formation.P2p.Addressing;
using Formation.P2p.Encoding;
using Formation.P2p.Host;
using Formation.P2p.Identity;
using Formation.P2p.Records;

namespace Formation.Silo.Tests.Discovery;

/// <summary>
/// A hostile peer (Formation.P2p in the test process) sends node records to a running silo over
/// <c>/formation/node/1.0.0</c>: an older sequence, another cluster id, a broken signature and a record signed for
/// someone else are all ignored; a valid newer one is taken, so the silo kept serving throughout.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RecordAttackTests : IAsyncDisposable
{
    private readonly TestDirectory _data = new("dc-attack");
    private SiloProcess? _silo;
    private P2pNode? _attacker;

    [Fact]
    public async Task RecordsWithBadSignature_OlderSequence_OrOtherCluster_AreIgnored()
    {
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions("dc-target", _data.Path));
        var target = await SiloReads.AddressAsync(_silo);
        var evil = Ed25519KeyPair.Generate();
        var victim = Ed25519KeyPair.Generate();
        _attacker = new P2pNode(new P2pHostOptions { Identity = evil, ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")] });
        await _attacker.StartAsync();
        await _attacker.Host.ConnectAsync(target, CancellationToken.None);

        // A valid record is taken: the channel works, so what follows can fail.
        var theirs = await SendAsync(target, Record(evil, 1000, "formation", "dc-evil").Seal(evil).Encode());
        Assert.Equal("dc-target", NodeRecordVerifier.TryOpen(theirs, "formation", out var reason)?.NodeId ?? reason);
        await SiloReads.WaitForPeerAsync(_silo, r => r.PeerId == evil.PeerId.ToString() && r.NodeId == "dc-evil" && r.RecordSequence == 1000, "the valid record");

        // The silo answers only after it has judged what it got, so after each reply its verdict is in.
        await SendAsync(target, Record(evil, 500, "formation", "dc-older").Seal(evil).Encode());
        await SendAsync(target, Record(evil, 2000, "other-cluster", "dc-other").Seal(evil).Encode());
        var tampered = Record(evil, 3000, "formation", "dc-tampered").Seal(evil).Encode();
        tampered[^1] ^= 0x01;
        await SendAsync(target, tampered);
        var forged = SignedEnvelope.Seal(evil, NodeRecord.Domain, NodeRecord.PayloadType, Record(victim, 4000, "formation", "dc-victim").Encode()).Encode();
        await SendAsync(target, forged);

        var rows = await SiloReads.PeersAsync(_silo);
        var row = Assert.Single(rows, r => r.PeerId == evil.PeerId.ToString());
        Assert.Equal(("dc-evil", 1000UL), (row.NodeId, row.RecordSequence!.Value));
        Assert.DoesNotContain(rows, r => r.PeerId == victim.PeerId.ToString() || r.NodeId == "dc-victim");
        var ignored = "ignored a record from " + evil.PeerId;
        await _silo.WaitForOutputAsync(o => CountOf(o, ignored) >= 4, "four ignored records");
        Assert.Contains("sequence 500 is not newer than 1000", _silo.Output, StringComparison.Ordinal);

        // Still serving: a valid newer record is taken.
        await SendAsync(target, Record(evil, 5000, "formation", "dc-evil-2").Seal(evil).Encode());
        await SiloReads.WaitForPeerAsync(_silo, r => r.PeerId == evil.PeerId.ToString() && r.NodeId == "dc-evil-2" && r.RecordSequence == 5000, "the newer valid record");
        Assert.Equal(4, CountOf(_silo.Output, ignored));
    }

    public async ValueTask DisposeAsync()
    {
        if (_attacker is not null)
        {
            await _attacker.DisposeAsync();
        }

        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        _data.Dispose();
    }

    private static NodeRecord Record(Ed25519KeyPair who, ulong sequence, string cluster, string nodeId) =>
        new(sequence, who.PeerId, cluster, nodeId, [Multiaddr.Parse("/ip4/127.0.0.1/tcp/9")], ["127.0.0.1:1"], ["127.0.0.1:2"],
            null, [], new NodeCapacity(1, 1, 1), DateTimeOffset.UtcNow);

    private async Task<byte[]> SendAsync(Multiaddr target, byte[] envelope)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var stream = await _attacker!.Host.NewStreamAsync(target.PeerId!, [NodeRecordService.ProtocolId], timeout.Token);
        await LengthPrefixed.WriteAsync(stream.Stream, envelope, timeout.Token);
        await stream.Stream.CloseWriteAsync(timeout.Token);
        return await LengthPrefixed.ReadAsync(stream.Stream, 8192, timeout.Token) ?? [];
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

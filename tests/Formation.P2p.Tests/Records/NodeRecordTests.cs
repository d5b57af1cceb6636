using Formation.P2p.Addressing;
using Formation.P2p.Identity;
using Formation.P2p.Records;

namespace Formation.P2p.Tests.Records;

public sealed class NodeRecordTests
{
    private static NodeRecord Record(Ed25519KeyPair key, string cluster, ulong seq) => new(
        seq, key.PeerId, cluster, "edge-1", [Multiaddr.Parse("/ip4/10.0.0.1/tcp/4001")], ["10.0.0.1:11111"], ["10.0.0.1:30000"],
        new byte[32], ["10.0.0.1:51820"], new NodeCapacity(8, 16384, 200), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    [Fact]
    public void Envelope_RoundTrips_AndOpens()
    {
        var key = Ed25519KeyPair.Generate();
        var record = Record(key, "c1", 5);
        var envelope = record.Seal(key).Encode();
        var opened = NodeRecordVerifier.TryOpen(envelope, "c1", out var reason);
        Assert.True(opened is not null, reason);
        Assert.Equal(record.Encode(), opened!.Encode());
        Assert.Equal(new NodeCapacity(8, 16384, 200), opened.Capacity);
    }

    [Fact]
    public void Book_IgnoresBadSignatureOlderSequenceAndOtherCluster()
    {
        var key = Ed25519KeyPair.Generate();
        var book = new NodeRecordBook("c1");
        Assert.True(book.TryAccept(Record(key, "c1", 5).Seal(key).Encode(), out _));

        Assert.False(book.TryAccept(Record(key, "c1", 5).Seal(key).Encode(), out var same));
        Assert.Contains("not newer", same);
        Assert.False(book.TryAccept(Record(key, "c1", 4).Seal(key).Encode(), out var older));
        Assert.Contains("not newer", older);
        Assert.False(book.TryAccept(Record(key, "c2", 9).Seal(key).Encode(), out var other));
        Assert.Contains("cluster", other);

        var tampered = Record(key, "c1", 9).Seal(key);
        var bytes = (tampered with { Payload = [.. tampered.Payload[..^1], (byte)(tampered.Payload[^1] ^ 1)] }).Encode();
        Assert.False(book.TryAccept(bytes, out var bad));
        Assert.Contains("signature", bad);

        // Signed by one node, claiming to be another.
        var mallory = Ed25519KeyPair.Generate();
        var forged = SignedEnvelope.Seal(mallory, NodeRecord.Domain, NodeRecord.PayloadType, Record(key, "c1", 99).Encode()).Encode();
        Assert.False(book.TryAccept(forged, out var impostor));
        Assert.Contains("not by the record's peer", impostor);

        Assert.Equal(5UL, book.Get(key.PeerId)!.Record.Sequence);
        Assert.True(book.TryAccept(Record(key, "c1", 6).Seal(key).Encode(), out _));
        Assert.Equal(6UL, book.Get(key.PeerId)!.Record.Sequence);
    }

    [Fact]
    public void Validator_ChecksKeyAndPicksHighestSequence()
    {
        var key = Ed25519KeyPair.Generate();
        var validator = new NodeRecordValidator();
        var recordKey = NodeRecordKeys.RecordKey("c1", key.PeerId);
        var v5 = Record(key, "c1", 5).Seal(key).Encode();
        var v7 = Record(key, "c1", 7).Seal(key).Encode();
        Assert.True(validator.Validate(recordKey, v5));
        Assert.False(validator.Validate(NodeRecordKeys.RecordKey("c1", Ed25519KeyPair.Generate().PeerId), v5));
        Assert.False(validator.Validate(NodeRecordKeys.RecordKey("c2", key.PeerId), v5));
        Assert.Equal(1, validator.Select(recordKey, [v5, v7]));
        Assert.Equal(0, validator.Select(recordKey, [v7, v5]));
    }
}

using Formation.P2p.Addressing;
using Formation.P2p.Identity;
using Formation.P2p.Kad;

namespace Formation.P2p.Tests.Kad;

public sealed class KadTests
{
    [Fact]
    public void FindNodeRequest_EncodesLikeJs_AndDecodesMissingTypeAsPutValue()
    {
        var target = Ed25519KeyPair.FromSeed([.. new byte[31], 1]).PeerId;
        var bytes = KadMessage.Request(KadMessageType.FindNode, target.ToBytes()).Encode();
        Assert.StartsWith("0804122600240801122", Convert.ToHexString(bytes));
        Assert.Equal(KadMessageType.PutValue, KadMessage.Decode([0x12, 0x01, 0x41]).Type);
        Assert.Throws<P2pProtocolException>(() => KadMessage.Decode([0x08, 0x09]));
    }

    [Fact]
    public void Message_RoundTrips_AndDropsBadPeers()
    {
        var peer = Ed25519KeyPair.Generate().PeerId;
        var message = new KadMessage(KadMessageType.GetValue, [1, 2], new KadRecord([1, 2], [3], "t"),
            [new KadPeer(peer, [Multiaddr.Parse("/ip4/1.2.3.4/tcp/5")])], []);
        var back = KadMessage.Decode(message.Encode());
        Assert.Equal(peer, back.CloserPeers.Single().Id);
        Assert.Equal("/ip4/1.2.3.4/tcp/5", back.CloserPeers[0].Addresses.Single().ToString());
        Assert.Equal([3], back.Record!.Value);

        // A peer entry with an id that is not a multihash is dropped, not fatal.
        byte[] badPeer = [0x42, 0x03, 0x0A, 0x01, 0x07];
        Assert.Empty(KadMessage.Decode(badPeer).CloserPeers);
    }

    [Fact]
    public void RoutingTable_OrdersByXorDistance_AndReportsFullBuckets()
    {
        var self = Ed25519KeyPair.Generate().PeerId;
        var table = new RoutingTable(self, k: 2);
        var peers = Enumerable.Range(0, 200).Select(_ => Ed25519KeyPair.Generate().PeerId).ToList();
        var full = 0;
        foreach (var p in peers)
        {
            if (!table.TryAdd(p, out var oldest))
            {
                Assert.NotNull(oldest);
                full++;
            }
        }

        Assert.True(full > 0, "with k = 2 the near-half buckets fill up");
        Assert.False(table.TryAdd(self, out _));
        var target = KadKey.Of(peers[0]);
        var closest = table.Closest(target, 5);
        var expected = table.Entries.OrderBy(e => e.Key.DistanceTo(target)).Take(5).Select(e => e.Id);
        Assert.Equal(expected, closest);
        Assert.True(table.Remove(closest[0]));
        Assert.False(table.Contains(closest[0]));
    }

    [Fact]
    public void Distance_CommonPrefix()
    {
        var a = new KadKey(new UInt256Bytes(new byte[32]));
        var bytes = new byte[32];
        bytes[0] = 0x10;
        Assert.Equal(3, a.CommonPrefixLength(new KadKey(new UInt256Bytes(bytes))));
        Assert.Equal(256, a.CommonPrefixLength(a));
    }

    [Fact]
    public void RecordStore_IsBounded()
    {
        var store = new KadRecordStore(new KadOptions { MaxRecords = 3, MaxProvidersPerKey = 2 });
        for (var i = 0; i < 10; i++)
        {
            store.Put(new KadRecord([(byte)i], [1], null));
            store.AddProvider([9], new KadPeer(Ed25519KeyPair.Generate().PeerId, []));
        }

        Assert.Equal(3, Enumerable.Range(0, 10).Count(i => store.Get([(byte)i]) is not null));
        Assert.Equal(2, store.GetProviders([9]).Count);
    }
}

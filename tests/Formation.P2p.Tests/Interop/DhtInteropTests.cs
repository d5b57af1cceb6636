using Formation.P2p.Identity;
using Formation.P2p.Records;
using Formation.P2p.Tests.Support;

namespace Formation.P2p.Tests.Interop;

/// <summary>A mixed Kademlia DHT of C# and js-libp2p nodes: FIND_NODE both ways, records and providers both ways.</summary>
public sealed class DhtInteropTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task MixedDht_EveryNodeFindsTheOthersThroughFindNode()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await TestNodes.StartAsync();
        await using var b = await TestNodes.StartAsync();
        await using var j1 = await JsPeer.StartAsync(new { dht = true, bootstrap = new[] { a.Address().ToString() } });
        await using var j2 = await JsPeer.StartAsync(new { dht = true, bootstrap = new[] { a.Address().ToString() } });
        await b.Dht.BootstrapAsync([a.Address()], ct);

        // The C# bootstrap node routes all three (js entered through identify listing the kad protocol).
        await TestNodes.WaitUntilAsync(() => a.Dht.RoutingTable.Contains(j1.PeerId) && a.Dht.RoutingTable.Contains(j2.PeerId) && a.Dht.RoutingTable.Contains(b.Host.PeerId),
            Deadline, "the C# bootstrap node to route both js nodes and the other C# node");
        // js routes the C# node only after identify lists kad and a ping round trip succeeds.
        await TestNodes.WaitUntilAsync(async () => (await JsRoutingTable(j1)).Contains(a.Host.PeerId.ToString()), Deadline, "js to route the C# node");

        // C# finds both js nodes through the DHT (neither dialled B). Lookups race the network filling in, so retry to a deadline.
        foreach (var js in new[] { j1, j2 })
        {
            await TestNodes.WaitUntilAsync(async () =>
                (await b.Dht.FindPeerAsync(js.PeerId, ct))?.Addresses.Contains(js.Addresses[0].WithoutPeerId()) == true,
                Deadline, $"C# to find js node {js.PeerId} through FIND_NODE");
        }

        // js finds the other C# node and the other js node through FIND_NODE answered by C#.
        await TestNodes.WaitUntilAsync(async () => await JsFinds(j1, b.Host.PeerId.ToString(), b.Host.ListenAddresses[0].ToString()), Deadline, "js to find the second C# node");
        await TestNodes.WaitUntilAsync(async () => await JsFinds(j1, j2.PeerId.ToString(), j2.Addresses[0].WithoutPeerId().ToString()), Deadline, "js to find the other js node");

        // B learnt the js nodes from lookups and now routes them too.
        await TestNodes.WaitUntilAsync(() => b.Dht.RoutingTable.Contains(j1.PeerId) && b.Dht.RoutingTable.Contains(j2.PeerId), Deadline, "the second C# node to route both js nodes");
    }

    [Fact]
    public async Task NodeRecords_JsFindsCSharpRecord_AndCSharpFindsJsRecord()
    {
        var ct = TestContext.Current.CancellationToken;
        const string cluster = "interop";
        await using var a = await TestNodes.StartAsync();
        await using var b = await TestNodes.StartAsync();
        var records = new NodeRecordService(a, new NodeRecordBook(cluster));
        await using var js = await JsPeer.StartAsync(new { dht = true, bootstrap = new[] { a.Address().ToString() } });
        await b.Dht.BootstrapAsync([a.Address()], ct);
        await TestNodes.WaitUntilAsync(async () => (await JsRoutingTable(js)).Contains(a.Host.PeerId.ToString()), Deadline, "js to route the C# node");

        // C# → js: js's DHT get runs its validator (RecordEnvelope.openAndCertify) over the C#-signed envelope.
        var published = await records.PublishAsync(SampleRecord(a.Host.PeerId, cluster, "edge-1"), ct);
        var got = await js.CallAsync("get", new { key = System.Text.Encoding.UTF8.GetString(NodeRecordKeys.RecordKey(cluster, a.Host.PeerId)) });
        var envelope = Convert.FromBase64String(got["value"]!.GetValue<string>());
        var openedOwn = NodeRecordVerifier.TryOpen(envelope, cluster, out var ownReason);
        Assert.True(openedOwn is not null, ownReason);
        Assert.Equal(published.Sequence, openedOwn!.Sequence);
        Assert.Equal("edge-1", openedOwn.NodeId);

        // js finds the C# node as a provider of the cluster key.
        var providers = await js.CallAsync("findProviders", new { key = Convert.ToHexString(NodeRecordKeys.ClusterKey(cluster)) });
        Assert.Contains(a.Host.PeerId.ToString(), providers["providers"]!.AsArray().Select(p => p!["peer"]!.GetValue<string>()));

        // js → C#: js seals a record for itself with its own key and puts it; the other C# node gets and verifies it.
        var jsRecord = SampleRecord(js.PeerId, cluster, "js-node");
        await js.CallAsync("sealAndPut", new
        {
            key = System.Text.Encoding.UTF8.GetString(NodeRecordKeys.RecordKey(cluster, js.PeerId)),
            payloadType = System.Text.Encoding.UTF8.GetString(NodeRecord.PayloadType),
            payload = Convert.ToBase64String(jsRecord.Encode()),
        });
        var value = await b.Dht.GetValueAsync(NodeRecordKeys.RecordKey(cluster, js.PeerId), ct);
        Assert.NotNull(value);
        var opened = NodeRecordVerifier.TryOpen(value, cluster, out var reason);
        Assert.True(opened is not null, reason);
        Assert.Equal(js.PeerId, opened!.PeerId);
        Assert.Equal("js-node", opened.NodeId);

        // A record signed by js but claiming to be another peer's is refused by the C# DHT server.
        var forged = SampleRecord(b.Host.PeerId, cluster, "forged");
        var refused = await js.TryCallAsync("sealAndPut", new
        {
            key = System.Text.Encoding.UTF8.GetString(NodeRecordKeys.RecordKey(cluster, b.Host.PeerId)),
            payloadType = System.Text.Encoding.UTF8.GetString(NodeRecord.PayloadType),
            payload = Convert.ToBase64String(forged.Encode()),
        });
        Assert.Null(a.Dht.Store.Get(NodeRecordKeys.RecordKey(cluster, b.Host.PeerId)));
        _ = refused;
    }

    internal static NodeRecord SampleRecord(PeerId peer, string cluster, string nodeId) => new(
        7, peer, cluster, nodeId, [], ["127.0.0.1:11111"], ["127.0.0.1:30000"], null, [], new NodeCapacity(4, 8192, 100),
        DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    private static async Task<bool> JsFinds(JsPeer js, string peer, string address)
    {
        var answer = await js.TryCallAsync("findPeer", new { peer });
        return answer["ok"]!.GetValue<bool>() && answer["addrs"]!.AsArray().Any(a => a!.GetValue<string>() == address);
    }

    private static async Task<List<string>> JsRoutingTable(JsPeer js) =>
        [.. (await js.CallAsync("routingTable"))["peers"]!.AsArray().Select(p => p!.GetValue<string>())];
}

using System.Net;
using Formation.Edge;
using Formation.Nodes;
using Formation.Services;
using Formation.Silo.Dns;
using Formation.Vms;

namespace Formation.Silo.Tests.Dns;

public sealed class PublicRecordsTests
{
    private static readonly DateTimeOffset T = DateTimeOffset.UnixEpoch;

    public static NodeStatus Node(string id, string siloEndpoint, NodeHealth health = NodeHealth.Healthy, NodeMesh? mesh = null) =>
        new(new NodeInfo(id, id, 2, 1024, 10, false, "", "sim", "", siloEndpoint, siloEndpoint, new NodeCapacity(2, 1024, 10), T, "1", Mesh: mesh),
            health, T, new NodeCapacity(0, 0, 0), 0);

    public static ServiceInfo Service(string name, params ServiceReplica[] replicas) =>
        new(name, replicas.Length, 1, RolloutState.Steady, null, replicas, [], T, T);

    public static EdgeRoute Route(string host, string service) => new(host, service, 8080, T);

    public static ServiceReplica Replica(string name, string address, VmState state = VmState.Running) =>
        new("vm-" + name, name, "n1", 1, state, address);

    /// <summary>Two routed services (one serving), one unrouted; nodes with and without the mesh, one unhealthy, one gone.</summary>
    public static Dictionary<string, IReadOnlyList<ZoneRecord>> Sample() => PublicRecords.Of(
        [Route("shop.example.com", "web"), Route("api.example.com", "down")],
        [
            Service("web", Replica("web-1", "10.77.1.2"), Replica("web-2", "10.77.2.2")),
            Service("down", Replica("down-1", "10.77.1.3", VmState.Failed)),
            Service("hidden", Replica("hidden-1", "10.77.1.4")),
        ],
        [
            Node("n1", "192.0.2.7:11111", mesh: new NodeMesh("k1", "192.0.2.7:51820", "10.77.1.1", "10.77.1.0/24")),
            Node("n2", "[2001:db8::8]:11111"),
            Node("n3", "192.0.2.9:11111", NodeHealth.Unhealthy),
            Node("n4", "192.0.2.10:11111", NodeHealth.Left),
        ]);

    [Fact]
    public void RoutedServiceWithAServingReplica_IsAnsweredWithTheHealthyNodesUnderlayAddresses()
    {
        var records = Sample();

        Assert.Equal(["web"], records.Keys);
        Assert.Equal([IPAddress.Parse("2001:db8::8"), IPAddress.Parse("192.0.2.7")], records["web"].Cast<AddressRecord>().Select(r => r.Address));
    }

    [Fact]
    public void NoRouteNoServingReplicaOrNoHealthyNode_MeansNoName()
    {
        var web = Service("web", Replica("web-1", "10.77.1.2"));
        var nodes = new[] { Node("n1", "192.0.2.7:11111") };

        Assert.Empty(PublicRecords.Of([], [web], nodes));
        Assert.Empty(PublicRecords.Of([Route("w.example.com", "web")], [Service("web", Replica("web-1", "10.77.1.2", VmState.Stopped))], nodes));
        Assert.Empty(PublicRecords.Of([Route("w.example.com", "web")], [web], [Node("n1", "192.0.2.7:11111", NodeHealth.Unhealthy)]));
        Assert.Single(PublicRecords.Of([Route("w.example.com", "web")], [web], nodes));
    }

    [Fact]
    public void ANodeThatAdvertisesAnInsideAddress_IsLeftOut_NeverAGuestsAddress()
    {
        var web = Service("web", Replica("web-1", "192.168.50.2"));
        var records = PublicRecords.Of([Route("w.example.com", "web")], [web],
        [
            Node("overlay", "10.77.9.1:11111"),                       // in the overlay range
            Node("subnet", "172.30.0.1:11111", mesh: new NodeMesh("k", "172.31.0.1:51820", "172.30.0.1", "172.30.0.0/24")), // its own VM subnet
            Node("replica", "192.168.50.2:11111"),                    // a replica's address
            Node("wild", "0.0.0.0:11111"),
            Node("good", "198.51.100.4:11111"),
        ]);

        Assert.Equal([IPAddress.Parse("198.51.100.4")], records["web"].Cast<AddressRecord>().Select(r => r.Address));
    }

    [Fact]
    public void AMembersRoutedService_IsNamedUnderItsAccount()
    {
        var records = PublicRecords.Of(
            [Route("shop.example.com", "bob/web"), Route("web.example.com", "web")],
            [Service("bob/web", Replica("web-1", "10.77.1.2")), Service("web", Replica("web-1", "10.77.1.3")), Service("alice/web", Replica("web-1", "10.77.1.4"))],
            [Node("n1", "192.0.2.7:11111")]);

        Assert.Equal(["web", "web.bob"], records.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(IPAddress.Parse("192.0.2.7"), ((AddressRecord)Assert.Single(records["web.bob"])).Address);
    }
}

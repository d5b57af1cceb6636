using System.Net;
using Formation.Networking;
using Formation.Nodes;
using Formation.Silo.Network;

namespace Formation.Silo.Tests.Mesh;

/// <summary>The mesh plan with roaming addresses: who gets which /32, and which of its own addresses a node sends away.</summary>
public sealed class MeshPlanTests
{
    private static readonly DateTimeOffset T = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NoRoaming_EachPeerRoutesItsSubnet_AndNothingIsAway()
    {
        var nodes = Cluster();

        var peers = MeshPlan.Peers("a", nodes, []);

        Assert.Equal(["b", "c"], peers.Select(p => p.Name));
        Assert.Equal(["10.77.2.0/24"], peers[0].AllowedIps);
        Assert.Equal(["10.77.3.0/24"], peers[1].AllowedIps);
        Assert.Empty(MeshPlan.Away("a", Ipv4Subnet.Parse("10.77.1.0/24"), nodes));
    }

    [Fact]
    public void AddressOfAHostedOnB_EveryOtherNodeRoutesTheSlash32ToB_AIncluded_BKeepsItOffItsPeers()
    {
        var nodes = Cluster(b: [new HostedAddress("10.77.1.9", T)]);

        Assert.Equal(["10.77.2.0/24", "10.77.1.9/32"], MeshPlan.Peers("a", nodes, []).Single(p => p.Name == "b").AllowedIps);
        Assert.Equal(["10.77.2.0/24", "10.77.1.9/32"], MeshPlan.Peers("c", nodes, []).Single(p => p.Name == "b").AllowedIps);
        Assert.Equal(["10.77.1.0/24"], MeshPlan.Peers("c", nodes, []).Single(p => p.Name == "a").AllowedIps);
        Assert.All(MeshPlan.Peers("b", nodes, []), p => Assert.DoesNotContain("10.77.1.9/32", p.AllowedIps));
        Assert.Equal([IPAddress.Parse("10.77.1.9")], MeshPlan.Away("a", Ipv4Subnet.Parse("10.77.1.0/24"), nodes));
        Assert.Empty(MeshPlan.Away("c", Ipv4Subnet.Parse("10.77.3.0/24"), nodes));
    }

    [Fact]
    public void TwoClaims_TheLaterWins_SoTheDestinationOfAMoveTakesTheAddressWhileTheSourceStillListsIt()
    {
        var nodes = Cluster(b: [new HostedAddress("10.77.1.9", T)], c: [new HostedAddress("10.77.1.9", T.AddSeconds(5))]);

        Assert.Equal("c", MeshPlan.Roaming(nodes)[IPAddress.Parse("10.77.1.9")]);
        Assert.Equal(["10.77.2.0/24"], MeshPlan.Peers("a", nodes, []).Single(p => p.Name == "b").AllowedIps);
        Assert.Equal(["10.77.3.0/24", "10.77.1.9/32"], MeshPlan.Peers("a", nodes, []).Single(p => p.Name == "c").AllowedIps);
        Assert.Equal(["10.77.3.0/24", "10.77.1.9/32"], MeshPlan.Peers("b", nodes, []).Single(p => p.Name == "c").AllowedIps);
    }

    [Fact]
    public void BackHome_TheHomeNodesLaterClaimWins_ItIsNotAwayThere_AndOthersRouteItHome()
    {
        var nodes = Cluster(a: [new HostedAddress("10.77.1.9", T.AddSeconds(5))], b: [new HostedAddress("10.77.1.9", T)]);

        Assert.Empty(MeshPlan.Away("a", Ipv4Subnet.Parse("10.77.1.0/24"), nodes));
        Assert.Equal(["10.77.1.0/24", "10.77.1.9/32"], MeshPlan.Peers("c", nodes, []).Single(p => p.Name == "a").AllowedIps);
        Assert.Equal(["10.77.2.0/24"], MeshPlan.Peers("c", nodes, []).Single(p => p.Name == "b").AllowedIps);
    }

    [Fact]
    public void Withdrawn_OrItsHostLeft_NoNodeKeepsTheSlash32()
    {
        var nodes = Cluster(b: [new HostedAddress("10.77.1.9", T)]);
        nodes[1] = nodes[1] with { Health = NodeHealth.Left };

        Assert.Empty(MeshPlan.Roaming(nodes));
        Assert.Empty(MeshPlan.Away("a", Ipv4Subnet.Parse("10.77.1.0/24"), nodes));
        Assert.All(MeshPlan.Peers("a", Cluster(), []), p => Assert.Single(p.AllowedIps));
    }

    [Fact]
    public void ClaimsOutsideEveryNodesSubnet_OrOfANodesOwnAddress_AreIgnored()
    {
        var nodes = Cluster(b: [new HostedAddress("8.8.8.8", T), new HostedAddress("10.77.1.1", T), new HostedAddress("10.77.255.7", T), new HostedAddress("not-an-address", T)]);

        Assert.Empty(MeshPlan.Roaming(nodes));
        Assert.Equal(["10.77.2.0/24"], MeshPlan.Peers("a", nodes, []).Single(p => p.Name == "b").AllowedIps);
    }

    private static List<NodeStatus> Cluster(IReadOnlyList<HostedAddress>? a = null, IReadOnlyList<HostedAddress>? b = null, IReadOnlyList<HostedAddress>? c = null) =>
        [Node("a", 1, a), Node("b", 2, b), Node("c", 3, c)];

    private static NodeStatus Node(string id, int n, IReadOnlyList<HostedAddress>? hosted)
    {
        var info = new NodeInfo(id, id, 2, 1024, 10, false, "", "sim", "", $"192.0.2.{n}:11111", $"192.0.2.{n}:30000", new NodeCapacity(2, 1024, 10), T, "1",
            Mesh: new NodeMesh("key-" + id, $"192.0.2.{n}:51820", $"10.77.{n}.1", $"10.77.{n}.0/24", hosted));
        return new NodeStatus(info, NodeHealth.Healthy, T, new NodeCapacity(0, 0, 0), 0);
    }
}

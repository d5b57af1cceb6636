using System.Net;
using Formation.Nodes;
using Formation.Silo.Dns;
using Formation.Vms;

namespace Formation.Silo.Tests.Dns;

public sealed class FabricRecordsTests
{
    private static readonly DateTimeOffset T = DateTimeOffset.UnixEpoch;

    [Fact]
    public void Vms_OnlyRunningOrPausedWithAnAddress_NewestOwnerOfANameWins()
    {
        var records = FabricRecords.Vms(
        [
            new VmEntry("vm-1", "web", "n1", VmState.Running, "10.77.1.2", T),
            new VmEntry("vm-2", "db", "n1", VmState.Paused, "10.77.1.3", T),
            new VmEntry("vm-3", "off", "n1", VmState.Stopped, "10.77.1.4", T),
            new VmEntry("vm-4", "boot", "n1", VmState.Running, null, T),
            new VmEntry("vm-5", "web", "n2", VmState.Running, "10.77.2.2", T.AddSeconds(1)),
        ]);

        Assert.Equal(["db", "web"], records.Keys.Order());
        Assert.Equal(IPAddress.Parse("10.77.2.2"), Assert.IsType<AddressRecord>(Assert.Single(records["web"])).Address);
    }

    [Fact]
    public void Vms_EqualNamesInTwoAccounts_AdminKeepsTheBareName_OthersAreNamedUnderTheirAccount()
    {
        var records = FabricRecords.Vms(
        [
            new VmEntry("vm-1", "web", "n1", VmState.Running, "10.77.1.2", T),
            new VmEntry("vm-2", "web", "n1", VmState.Running, "10.77.1.3", T.AddSeconds(5), "bob"), // newer, yet takes nothing of admin's
            new VmEntry("vm-3", "web", "n1", VmState.Running, "10.77.1.4", T, "node"), // would mix with <node>.node names
            new VmEntry("vm-4", "db", "n1", VmState.Running, "10.77.1.5", T, "Not_A_Label"),
        ]);

        Assert.Equal(["web", "web.bob"], records.Keys.Order());
        Assert.Equal(IPAddress.Parse("10.77.1.2"), Assert.IsType<AddressRecord>(Assert.Single(records["web"])).Address);
        Assert.Equal(IPAddress.Parse("10.77.1.3"), Assert.IsType<AddressRecord>(Assert.Single(records["web.bob"])).Address);
    }

    [Fact]
    public void NodeAddress_OverlayWhenInTheMesh_ElseTheAdvertisedHost()
    {
        var info = new NodeInfo("n1", "host", 2, 1024, 10, false, "", "sim", "", "192.0.2.7:11111", "192.0.2.7:30000", new NodeCapacity(2, 1024, 10),
            T, "1");

        Assert.Equal(IPAddress.Parse("192.0.2.7"), FabricRecords.NodeAddress(info));
        Assert.Equal(IPAddress.Parse("10.77.4.1"), FabricRecords.NodeAddress(info with { Mesh = new NodeMesh("key", "192.0.2.7:51820", "10.77.4.1", "10.77.4.0/24") }));
    }

    [Fact]
    public void Nodes_ThoseThatLeftHaveNoName()
    {
        var info = new NodeInfo("n1", "host", 2, 1024, 10, false, "", "sim", "", "192.0.2.7:11111", "192.0.2.7:30000", new NodeCapacity(2, 1024, 10),
            T, "1");
        var records = FabricRecords.Nodes(
        [
            new NodeStatus(info, NodeHealth.Healthy, T, new NodeCapacity(0, 0, 0), 0),
            new NodeStatus(info with { NodeId = "n2" }, NodeHealth.Left, T, new NodeCapacity(0, 0, 0), 0),
        ]);

        Assert.Equal(["n1.node"], records.Keys);
    }

    [Fact]
    public void Owners_EveryVmWithAnAddressThatIsNotGone_NewestHolderOfAnAddressWins()
    {
        var owners = FabricRecords.Owners(
        [
            new VmEntry("vm-1", "web", "n1", VmState.Running, "10.77.1.2", T),
            new VmEntry("vm-2", "web", "n1", VmState.Provisioning, "10.77.1.3", T, "bob"), // booting guests ask too
            new VmEntry("vm-3", "old", "n1", VmState.Deleted, "10.77.1.4", T.AddSeconds(9), "bob"),
            new VmEntry("vm-4", "new", "n1", VmState.Running, "10.77.1.4", T, "alice"),
            new VmEntry("vm-5", "was", "n1", VmState.Stopped, "10.77.1.5", T, "bob"),
            new VmEntry("vm-6", "now", "n1", VmState.Running, "10.77.1.5", T.AddSeconds(1), "alice"),
            new VmEntry("vm-7", "none", "n1", VmState.Running, null, T, "bob"),
        ]);

        Assert.Equal("admin", owners[IPAddress.Parse("10.77.1.2")]);
        Assert.Equal("bob", owners[IPAddress.Parse("10.77.1.3")]);
        Assert.Equal("alice", owners[IPAddress.Parse("10.77.1.4")]);
        Assert.Equal("alice", owners[IPAddress.Parse("10.77.1.5")]);
        Assert.Equal(4, owners.Count);
    }

    [Fact]
    public void NodeAddresses_AreTheOverlayAddressesAndSubnetGatewaysOfMeshNodes()
    {
        var info = new NodeInfo("n1", "host", 2, 1024, 10, false, "", "sim", "", "192.0.2.7:11111", "192.0.2.7:30000", new NodeCapacity(2, 1024, 10),
            T, "1");
        var addresses = FabricRecords.NodeAddresses(
        [
            new NodeStatus(info with { Mesh = new NodeMesh("key", "192.0.2.7:51820", "10.77.4.1", "10.77.4.0/24") }, NodeHealth.Healthy, T, new NodeCapacity(0, 0, 0), 0),
            new NodeStatus(info with { NodeId = "n2" }, NodeHealth.Healthy, T, new NodeCapacity(0, 0, 0), 0),
        ]);

        Assert.Equal([IPAddress.Parse("10.77.4.1"), IPAddress.Parse("10.77.4.1")], addresses);
    }
}

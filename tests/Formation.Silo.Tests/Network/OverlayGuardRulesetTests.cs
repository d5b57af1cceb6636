using System.Net;
using Formation.Silo.Network;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// The overlay guard's ruleset text: which sources from the mesh reach which guests, and what else enters the bridge
/// (the live tests load it into the kernel).
/// </summary>
public sealed class OverlayGuardRulesetTests
{
    private static readonly Dictionary<IPAddress, string> Owners = new()
    {
        [IPAddress.Parse("10.77.1.5")] = "alice",
        [IPAddress.Parse("10.77.2.7")] = "alice",
        [IPAddress.Parse("10.77.2.8")] = "bob",
        [IPAddress.Parse("10.77.1.10")] = "bob",
    };

    [Fact]
    public void NoOwnersYet_OnlyTheFabricPasses_EveryGuestIsDropped()
    {
        var text = OverlayGuard.Ruleset("formation_xt", "fwgt", "fbrt", [IPAddress.Parse("10.77.2.1")], new Dictionary<IPAddress, string>());

        Assert.StartsWith("table inet formation_xt\ndelete table inet formation_xt\n", text);
        Assert.Contains("iifname \"fwgt\" oifname \"fbrt\" jump from_mesh", text);
        Assert.Contains("elements = { 10.77.2.1 }", Section(text, "set fabric"));
        Assert.DoesNotContain("vmap", text);
        Assert.EndsWith("ip saddr @fabric accept\n    drop\n  }\n", Section(text, "chain from_mesh"));
    }

    [Fact]
    public void EachSource_ReachesOnlyItsOwnAccountsGuests()
    {
        var text = OverlayGuard.Ruleset("formation_xt", "fwgt", "fbrt", [], Owners);

        // Accounts in name order (alice = 0, bob = 1), addresses in numeric order; account names are not in the ruleset.
        Assert.Contains("elements = { 10.77.1.5, 10.77.2.7 }", Section(text, "set account_0"));
        Assert.Contains("elements = { 10.77.1.10, 10.77.2.8 }", Section(text, "set account_1"));
        Assert.Contains("ip saddr vmap { 10.77.1.5 : jump account_0, 10.77.2.7 : jump account_0, 10.77.1.10 : jump account_1, 10.77.2.8 : jump account_1 }", text);
        Assert.Contains("ip daddr @account_0 accept", Section(text, "chain account_0"));
        Assert.DoesNotContain("drop", Section(text, "chain account_0")); // falls back to from_mesh's drop
        Assert.Contains("ip daddr @account_1 accept", Section(text, "chain account_1"));
        Assert.DoesNotContain("alice", text);
        Assert.DoesNotContain("bob", text);
    }

    [Fact]
    public void UnknownAccount_AndNotIpv4_AreDropped_PublishedPortsPass()
    {
        var owners = new Dictionary<IPAddress, string>(Owners) { [IPAddress.Parse("10.77.2.9")] = " ", [IPAddress.Parse("fd00::9")] = "alice" };

        var text = OverlayGuard.Ruleset("formation_xt", "fwgt", "fbrt", [], owners);

        Assert.DoesNotContain("10.77.2.9", text);
        Assert.DoesNotContain("fd00", text);
        var chain = Section(text, "chain from_mesh");
        Assert.StartsWith("  chain from_mesh {\n    meta nfproto != ipv4 drop\n    ct status dnat accept\n    ip saddr @fabric accept\n", chain);
        Assert.EndsWith(" }\n    drop\n  }\n", chain);
    }

    [Fact]
    public void FromAnywhereButTheMeshAndTheBridge_OnlyRepliesAndPublishedPortsReachTheBridge()
    {
        var text = OverlayGuard.Ruleset("formation_xt", "fwgt", "fbrt", [IPAddress.Parse("10.77.2.1")], Owners);

        Assert.Contains("iifname != { \"fwgt\", \"fbrt\" } oifname \"fbrt\" jump from_underlay", Section(text, "chain forward"));
        Assert.Equal("  chain from_underlay {\n    ct state established,related accept\n    ct status dnat accept\n    drop\n  }\n",
            Section(text, "chain from_underlay"));
        Assert.Contains("policy accept", Section(text, "chain forward")); // what does not go to the bridge is not this table's
    }

    [Fact]
    public void WithoutAMesh_AllButTheBridgeIsTheUnderlay()
    {
        var text = OverlayGuard.Ruleset("formation_xt", null, "fbrt", [IPAddress.Parse("10.77.2.1")], Owners);

        Assert.Equal("  chain forward {\n    type filter hook forward priority filter; policy accept;\n    iifname != \"fbrt\" oifname \"fbrt\" jump from_underlay\n  }\n",
            Section(text, "chain forward"));
        Assert.Contains("ct status dnat accept\n    drop\n", Section(text, "chain from_underlay"));
        Assert.DoesNotContain("set ", text); // owners and fabric do not matter without a mesh: their changes load nothing
        Assert.DoesNotContain("from_mesh", text);
        Assert.Equal(text, OverlayGuard.Ruleset("formation_xt", null, "fbrt", [], new Dictionary<IPAddress, string>()));
    }

    [Fact]
    public void FabricAddresses_AreTheNodesOverlayAddressesAndTheDevices_NotNodesThatLeft()
    {
        var nodes = new[]
        {
            Node("n1", "10.77.1.1", Formation.Nodes.NodeHealth.Healthy),
            Node("n2", "10.77.2.1", Formation.Nodes.NodeHealth.Unhealthy),
            Node("n3", "10.77.3.1", Formation.Nodes.NodeHealth.Left),
        };
        var devices = new[] { new Formation.Networking.NetDevice("laptop", "key", "10.77.255.2", DateTimeOffset.UnixEpoch) };

        var addresses = MeshAgent.FabricAddresses(nodes, devices).Select(a => a.ToString()).ToList();

        Assert.Equal(["10.77.1.1", "10.77.2.1", "10.77.255.2"], addresses);
    }

    private static Formation.Nodes.NodeStatus Node(string id, string overlay, Formation.Nodes.NodeHealth health)
    {
        var capacity = new Formation.Nodes.NodeCapacity(2, 1024, 10);
        var info = new Formation.Nodes.NodeInfo(id, "host", 2, 1024, 10, false, "", "sim", "", "192.0.2.7:11111", "192.0.2.7:30000", capacity,
            DateTimeOffset.UnixEpoch, "1") { Mesh = new Formation.Nodes.NodeMesh("key-" + id, "192.0.2.7:51820", overlay, overlay[..^1] + "0/24") };
        return new Formation.Nodes.NodeStatus(info, health, DateTimeOffset.UnixEpoch, new Formation.Nodes.NodeCapacity(0, 0, 0), 0);
    }

    private static string Section(string text, string header)
    {
        var start = text.IndexOf($"  {header} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {header} in:\n{text}");
        return text[start..(text.IndexOf("  }\n", start, StringComparison.Ordinal) + 4)];
    }
}

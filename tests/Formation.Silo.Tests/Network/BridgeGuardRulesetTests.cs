using Formation.Silo.Network;

namespace Formation.Silo.Tests.Network;

/// <summary>The guard's ruleset text: what each port may send as and reach (the live tests load it into the kernel).</summary>
public sealed class BridgeGuardRulesetTests
{
    private static readonly GuardedPort Bob = Port("ftbob", "02:fa:00:00:00:02", "10.77.3.2", "bob");
    private static readonly GuardedPort BobsDb = Port("ftbobdb", "02:fa:00:00:00:03", "10.77.3.3", "bob");
    private static readonly GuardedPort Alice = Port("ftalice", "02:fa:00:00:00:04", "10.77.3.4", "alice");

    [Fact]
    public void NoPort_EveryPortOfTheGroupIsDropped_OthersAreLeftAlone()
    {
        var text = BridgeGuard.Ruleset("formation_gx", 77, []);

        Assert.Contains("meta iifgroup != 77 accept\n    drop\n", text);
        Assert.DoesNotContain("vmap", text);
        Assert.StartsWith("table bridge formation_gx\ndelete table bridge formation_gx\n", text);
    }

    [Fact]
    public void EachPort_SendsOnlyAsItself_AndReachesOnlyTheGatewayAndItsAccount()
    {
        var text = BridgeGuard.Ruleset("formation_gx", 77, [Alice, BobsDb, Bob]);

        var alice = Chain(text, "port_0"); // ports in name order: ftalice, ftbob, ftbobdb
        Assert.Contains("ether saddr != 02:fa:00:00:00:04 drop", alice);
        Assert.Contains("ip saddr != 10.77.3.4 drop", alice);
        Assert.Contains("ip daddr 10.77.3.0/24 ip daddr != { 10.77.3.1, 10.77.3.4 } drop", alice);
        Assert.Contains("arp saddr ether 02:fa:00:00:00:04 arp saddr ip 10.77.3.4 arp daddr ip { 10.77.3.1, 10.77.3.4 } accept", alice);
        Assert.EndsWith("drop\n", alice);
        Assert.Contains("ip daddr 10.77.3.0/24 ip daddr != { 10.77.3.1, 10.77.3.2, 10.77.3.3 } drop", Chain(text, "port_1"));
        Assert.Contains("\"ftalice\" : jump account_0, \"ftbob\" : jump account_1, \"ftbobdb\" : jump account_1", text);
        Assert.Contains("oifname { \"ftalice\" } accept", Chain(text, "account_0"));
        Assert.Contains("oifname { \"ftbob\", \"ftbobdb\" } accept", Chain(text, "account_1"));
        Assert.DoesNotContain("alice", text.Replace("ftalice", "", StringComparison.Ordinal)); // account names are not in the ruleset
    }

    [Fact]
    public void RoamingPort_SendsOnlyAsItsHomeAddress_AsksForItsHomeSubnet_AndIsLocalToTheBridgeForEveryOtherPort()
    {
        var native = Port("ftnat", "02:fa:00:00:00:05", "10.77.2.5", "a", "10.77.2.1");
        var other = Port("ftoth", "02:fa:00:00:00:06", "10.77.2.6", "b", "10.77.2.1");
        var roaming = Port("ftrom", "02:fa:00:00:00:09", "10.77.1.9", "a", "10.77.1.1"); // restored from node 1: its home gateway and prefix

        var text = BridgeGuard.Ruleset("formation_gx", 77, [native, other, roaming], Formation.Networking.Ipv4Subnet.Parse("10.77.2.0/24"));

        var r = Chain(text, "port_2"); // ftnat, ftoth, ftrom
        Assert.Contains("ether saddr != 02:fa:00:00:00:09 drop", r);
        Assert.Contains("ip saddr != 10.77.1.9 drop", r);
        Assert.Contains("ip daddr { 10.77.2.0/24, 10.77.1.9 } ip daddr != { 10.77.1.1, 10.77.1.9, 10.77.2.1, 10.77.2.5 } drop", r);
        Assert.Contains("arp saddr ether 02:fa:00:00:00:09 arp saddr ip 10.77.1.9 arp daddr ip { 10.77.1.0/24, 10.77.2.1, 10.77.2.5 } accept", r);
        Assert.Contains("ip daddr { 10.77.2.0/24, 10.77.1.9 } ip daddr != { 10.77.1.9, 10.77.2.1, 10.77.2.5 } drop", Chain(text, "port_0"));
        Assert.Contains("ip daddr { 10.77.2.0/24, 10.77.1.9 } ip daddr != { 10.77.2.1, 10.77.2.6 } drop", Chain(text, "port_1")); // another account: not the roaming guest
        Assert.Contains("\"ftnat\" : jump account_0, \"ftoth\" : jump account_1, \"ftrom\" : jump account_0", text);
    }

    [Fact]
    public void AwayAddresses_OfTheHomeSubnet_AreReachableAndAskableFromEveryPort()
    {
        var text = BridgeGuard.Ruleset("formation_gx", 77, [Alice, Bob], Formation.Networking.Ipv4Subnet.Parse("10.77.3.0/24"), [System.Net.IPAddress.Parse("10.77.3.9")]);

        Assert.Contains("ip daddr 10.77.3.0/24 ip daddr != { 10.77.3.1, 10.77.3.4, 10.77.3.9 } drop", Chain(text, "port_0"));
        Assert.Contains("arp daddr ip { 10.77.3.1, 10.77.3.4, 10.77.3.9 } accept", Chain(text, "port_0"));
        Assert.Contains("ip daddr 10.77.3.0/24 ip daddr != { 10.77.3.1, 10.77.3.2, 10.77.3.9 } drop", Chain(text, "port_1"));
    }

    [Fact]
    public async Task RoamingRuleset_IsAcceptedByNft()
    {
        Assert.True(File.Exists("/usr/sbin/nft"), "nft is missing: install the Debian package nftables");
        var text = BridgeGuard.Ruleset("formation_gchk", 77,
            [Alice, Bob, Port("ftrom", "02:fa:00:00:00:09", "10.77.1.9", "alice", "10.77.1.1")],
            Formation.Networking.Ipv4Subnet.Parse("10.77.3.0/24"), [System.Net.IPAddress.Parse("10.77.3.9")]);
        var body = string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("delete table", StringComparison.Ordinal)));
        var result = await Formation.Silo.Platform.ProcessRunner.RunAsync("nft", ["-c", "-f", "-"], null, 20, TimeSpan.FromSeconds(30), CancellationToken.None,
            writeStdin: (s, ct) => s.WriteAsync(System.Text.Encoding.ASCII.GetBytes(body), ct).AsTask());
        Assert.True(result.ExitCode == 0, string.Join(" | ", result.OutputTail) + "\n" + body);
    }

    [Fact]
    public void LinkGroup_IsPerNode_AndNeverTheDefault()
    {
        Assert.NotEqual(BridgeGuard.LinkGroupFor("node-a"), BridgeGuard.LinkGroupFor("node-b"));
        Assert.Equal(BridgeGuard.LinkGroupFor("node-a"), BridgeGuard.LinkGroupFor("node-a"));
        Assert.All(Enumerable.Range(0, 500), i => Assert.InRange(BridgeGuard.LinkGroupFor("n" + i), 1u, 0x7ffffffeu));
    }

    private static GuardedPort Port(string tap, string mac, string address, string account, string gateway = "10.77.3.1") =>
        new(new VmNetwork(tap, mac, address, gateway, "255.255.255.0", 24), account);

    private static string Chain(string text, string name)
    {
        var start = text.IndexOf($"  chain {name} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chain {name} in:\n{text}");
        return text[start..text.IndexOf("  }\n", start, StringComparison.Ordinal)];
    }
}

using Formation.Networking;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Vms;

namespace Formation.Silo.Tests.Mesh;

/// <summary>The nftables text of <c>--publish</c> and <c>--no-egress</c>, checked by nft itself (<c>nft -c</c>: parsed, not loaded).</summary>
public sealed class PortForwardsTests
{
    [Fact]
    public void Ruleset_DnatsEachHostPortOnNonLoopbackLocalAddresses_ToTheVm()
    {
        var text = PortForwards.Ruleset("formation_ptest", [
            ("10.77.1.5", PortPublish.Parse("8080:80")),
            ("10.77.1.6", PortPublish.Parse("5353:53/udp")),
        ]);

        Assert.StartsWith("table ip formation_ptest\ndelete table ip formation_ptest\n", text, StringComparison.Ordinal);
        var tcp = "fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat to 10.77.1.5:80";
        var udp = "fib daddr type local ip daddr != 127.0.0.0/8 udp dport 5353 dnat to 10.77.1.6:53";
        Assert.Equal(2, Count(text, tcp)); // prerouting (from outside) and output (from the host itself)
        Assert.Equal(2, Count(text, udp));
        Assert.Contains("type nat hook prerouting priority dstnat", text, StringComparison.Ordinal);
        Assert.Contains("type nat hook output priority -100", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ruleset_WithoutForwards_StillReplacesTheTable()
    {
        var text = PortForwards.Ruleset("formation_ptest", []);
        Assert.DoesNotContain("dnat", text, StringComparison.Ordinal);
        Assert.Contains("delete table ip formation_ptest", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ruleset_AnAddressThatIsNotOne_IsRefused()
    {
        // The address comes from the node's pool, but the text goes to nft: it must be an address and nothing more.
        Assert.ThrowsAny<FormatException>(() => PortForwards.Ruleset("t", [("10.0.0.1 ; flush ruleset", PortPublish.Parse("80:80"))]));
    }

    [Fact]
    public void EgressRuleset_NoEgressVm_DropsNewTrafficLeavingTheOverlay_InForwardAndInput_KeepsReplies()
    {
        var text = EgressNat.Ruleset("formation_etest", Ipv4Subnet.Parse("10.77.1.0/24"), "fbrtest", "fwgtest", ["10.77.1.9"]);
        Assert.Contains("elements = { 10.77.1.9 }", text, StringComparison.Ordinal);
        var drop = $"iifname \"fbrtest\" ip saddr @no_egress ip daddr != {NetworkPlan.Overlay} drop";
        Assert.Equal(2, Count(text, drop));
        Assert.Equal(2, Count(text, "iifname \"fbrtest\" ip saddr @no_egress ct state established,related accept"));
        Assert.True(text.IndexOf("established,related", StringComparison.Ordinal) < text.IndexOf(drop, StringComparison.Ordinal));
    }

    [Fact]
    public void EgressRuleset_RoamingGuestsHostedHere_AreMasqueradedLikeTheSubnet()
    {
        var text = EgressNat.Ruleset("formation_etest", Ipv4Subnet.Parse("10.77.2.0/24"), "fbrtest", "fwgtest", [], ["10.77.1.9", "10.77.3.4"]);
        Assert.Contains($"ip saddr {{ 10.77.2.0/24, 10.77.1.9, 10.77.3.4 }} ip daddr != {NetworkPlan.Overlay} oifname != \"fwgtest\" masquerade", text, StringComparison.Ordinal);
        Assert.Contains("ip saddr 10.77.2.0/24 ip daddr", EgressNat.Ruleset("formation_etest", Ipv4Subnet.Parse("10.77.2.0/24"), "fbrtest", "fwgtest", []), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rulesets_AreAcceptedByNft()
    {
        Assert.True(File.Exists("/usr/sbin/nft"), "nft is missing: install the Debian package nftables");
        var publish = PortForwards.Ruleset("formation_ptest", [("10.77.1.5", PortPublish.Parse("8080:80")), ("10.77.1.6", PortPublish.Parse("53:53/udp"))]);
        var egress = EgressNat.Ruleset("formation_etest", Ipv4Subnet.Parse("10.77.1.0/24"), "fbrtest", "fwgtest", ["10.77.1.9", "10.77.1.10"]);
        var roaming = EgressNat.Ruleset("formation_etest", Ipv4Subnet.Parse("10.77.1.0/24"), "fbrtest", "fwgtest", [], ["10.77.2.9"]);
        foreach (var text in new[] { publish, egress, roaming })
        {
            // The leading "delete table" needs the table to exist; nft -c checks the rest.
            var body = string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("delete table", StringComparison.Ordinal)));
            var result = await ProcessRunner.RunAsync("nft", ["-c", "-f", "-"], null, 20, TimeSpan.FromSeconds(30), CancellationToken.None,
                writeStdin: (s, ct) => s.WriteAsync(System.Text.Encoding.ASCII.GetBytes(body), ct).AsTask());
            Assert.True(result.ExitCode == 0, string.Join(" | ", result.OutputTail) + "\n" + body);
        }
    }

    private static int Count(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}

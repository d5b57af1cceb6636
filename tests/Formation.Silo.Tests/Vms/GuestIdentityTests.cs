using Formation.Silo.Network;
using Formation.Silo.Vms;

namespace Formation.Silo.Tests.Vms;

/// <summary>The script that gives a clone's guest its identity (run for real in a guest: QemuCloneTests).</summary>
public sealed class GuestIdentityTests
{
    private static readonly VmNetwork Net = new("ftabc", "02:fa:01:02:03:04", "10.77.0.9", "10.77.0.1", "255.255.255.0", 24);

    [Fact]
    public void Script_WithNetwork_SetsMacThenAddressRouteAndHostnameStoppingAtTheFirstFailure()
    {
        var lines = GuestIdentity.Script("web-clone", Net).TrimEnd().Split('\n');

        Assert.Equal([
            "set -e",
            "ip link set dev eth0 down",
            "ip link set dev eth0 address '02:fa:01:02:03:04'",
            "ip addr flush dev eth0",
            "ip addr add '10.77.0.9/24' dev eth0",
            "ip link set dev eth0 up",
            "ip route replace default via '10.77.0.1' dev eth0",
            "hostname 'web-clone'",
        ], lines);
    }

    [Fact]
    public void Script_WithoutNetwork_OnlySetsTheHostname()
    {
        Assert.Equal("set -e\nhostname 'solo'\n", GuestIdentity.Script("solo", null));
    }

    [Fact]
    public void Script_NotADnsLabel_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => GuestIdentity.Script("a;reboot", Net));
    }

    [Fact]
    public void Request_RunsTheScriptInAShellWithAPath()
    {
        var request = GuestIdentity.Request("web-clone", Net);

        Assert.Equal(["/bin/sh", "-c", GuestIdentity.Script("web-clone", Net)], request.Command);
        Assert.Contains("PATH=/sbin:/usr/sbin:/bin:/usr/bin", request.Environment!);
        Assert.Null(request.Problem());
    }
}

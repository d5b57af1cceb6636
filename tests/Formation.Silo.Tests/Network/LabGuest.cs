using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Mesh;

namespace Formation.Silo.Tests.Network;

/// <summary>A stand-in guest of a <see cref="BridgeLab"/>: its namespace, its port on the bridge and what its VM was given.</summary>
public sealed record LabGuest(BridgeLab Lab, string Namespace, string Port, string Mac, string Address, string Account)
{
    public VmNetwork Network => new(Port, Mac, Address, Lab.Gateway, "255.255.255.0", 24);

    /// <summary>Runs a command inside the guest's namespace; fails the test when it fails.</summary>
    public Task InAsync(params string[] args) => VethGuest.RunAsync(["ip", "netns", "exec", Namespace, .. args]);

    /// <summary>Runs a command inside the guest's namespace and says whether it succeeded.</summary>
    public async Task<bool> TryAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", Namespace, .. args], null, 20, TimeSpan.FromSeconds(20), CancellationToken.None);
        return result.ExitCode == 0;
    }

    /// <summary>
    /// The guest changes its MAC and address the way a clone's guest is told to (<c>GuestIdentity</c>: link down, MAC,
    /// flush, address, up, default route) and pins the gateway's neighbour entry, so what it sends next leaves without
    /// an ARP exchange first: only the guard can stop it.
    /// </summary>
    public async Task TakeIdentityAsync(string mac, string address)
    {
        await InAsync("ip", "link", "set", "dev", "eth0", "down");
        await InAsync("ip", "link", "set", "dev", "eth0", "address", mac);
        await InAsync("ip", "addr", "flush", "dev", "eth0");
        await InAsync("ip", "addr", "add", address + "/24", "dev", "eth0");
        await InAsync("ip", "link", "set", "dev", "eth0", "up");
        await InAsync("ip", "route", "replace", "default", "via", Lab.Gateway, "dev", "eth0");
        await InAsync("ip", "neigh", "replace", Lab.Gateway, "lladdr", Lab.BridgeMac, "dev", "eth0", "nud", "permanent");
    }

    /// <summary>Sends one UDP datagram holding <paramref name="text"/> from whatever address the guest holds now.</summary>
    public Task<bool> SendUdpAsync(string address, int port, string text) =>
        TryAsync("bash", "-c", $"echo {text} >/dev/udp/{address}/{port}");
}

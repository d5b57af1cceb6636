using Formation.Errors;
using Formation.Networking;
using Formation.Nodes;
using Formation.Silo.Platform;

namespace Formation.Silo.Network;

/// <summary>Roaming addresses: VMs that moved here with another node's address, and this node's addresses hosted elsewhere.</summary>
public sealed partial class HostNetwork
{
    /// <summary>
    /// The roaming addresses this node hosts (and its own subnet's addresses it took back from another node), for the mesh
    /// agent to publish in the node record.
    /// </summary>
    public IReadOnlyList<HostedAddress> Hosted
    {
        get
        {
            lock (_hosted)
            {
                return [.. _hosted.Values.OrderBy(h => h.Address, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// The addresses of this node's subnet that another node hosts now (from the mesh agent's sync): the bridge guard lets
    /// the guests send to them (the kernel routes them into the mesh, through the /32s the mesh gives their hosts).
    /// </summary>
    public Task SetAwayAsync(IReadOnlyList<System.Net.IPAddress> away, CancellationToken cancellationToken) => guard.SetAwayAsync(away, cancellationToken);

    /// <summary>
    /// Frees a VM's address in its home node's pool (found by the address's subnet): a moved VM's lease stays there until
    /// the VM is deleted, wherever it is then. Idempotent.
    /// </summary>
    public async Task ReleaseAddressAsync(string vmId, string address)
    {
        var (owner, _) = await HomeOfAsync(address);
        await grains.GetGrain<IAddressPoolGrain>(owner).ReleaseAsync(vmId);
    }

    /// <summary>The /32 route to the bridge, the claim to publish and the egress NAT for a hosted address.</summary>
    private async Task HostAsync(VmNetwork network, Ipv4Subnet subnet, CancellationToken cancellationToken)
    {
        var roaming = !subnet.Contains(System.Net.IPAddress.Parse(network.Address));
        if (roaming)
        {
            await IpAsync(cancellationToken, RoamingRoute("replace", network.Address, BridgeName));
        }

        lock (_hosted)
        {
            _hosted[network.Tap] = new HostedAddress(network.Address, DateTimeOffset.UtcNow);
        }

        await egress.SetVisitingAsync(Visiting(subnet), cancellationToken);
    }

    private IReadOnlyList<string> Visiting(Ipv4Subnet subnet)
    {
        lock (_hosted)
        {
            return [.. _hosted.Values.Select(h => h.Address).Where(a => !subnet.Contains(System.Net.IPAddress.Parse(a))).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>The <c>ip</c> arguments that add (<c>replace</c>) or remove (<c>del</c>) a roaming address's route to the bridge.</summary>
    public static string[] RoamingRoute(string verb, string address, string bridge) => ["route", verb, address + "/32", "dev", bridge];

    /// <summary>
    /// The bridge's proxy ARP (files under /proc/sys and their values): the node answers a guest's ARP for an address it
    /// routes through another interface (a roaming guest's home gateway and subnet; a node's own guests asking for an
    /// address that roams elsewhere), at once (no proxy delay). Guests ask only what the bridge guard lets them ask.
    /// </summary>
    public static IReadOnlyList<(string Path, string Value)> ProxyArpSettings(string bridge) =>
        [($"net/ipv4/conf/{bridge}/proxy_arp", "1"), ($"net/ipv4/neigh/{bridge}/proxy_delay", "0")];

    private static async Task SetProxyArpAsync(string bridge, CancellationToken cancellationToken)
    {
        foreach (var (path, value) in ProxyArpSettings(bridge))
        {
            await File.WriteAllTextAsync(Path.Combine("/proc/sys", path), value + "\n", cancellationToken);
        }
    }

    /// <summary>The node whose subnet holds <paramref name="address"/>, and that subnet.</summary>
    private async Task<(string Node, Ipv4Subnet Subnet)> HomeOfAsync(string address)
    {
        var ip = System.Net.IPAddress.TryParse(address, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? parsed : throw FormationException.Invalid($"'{address}' is not an IPv4 address.");
        var subnets = await grains.GetGrain<INetworkGrain>(GrainKeys.Cluster).ListSubnetsAsync();
        foreach (var (owner, cidr) in subnets)
        {
            if (Ipv4Subnet.TryParse(cidr, out var subnet) && subnet.Contains(ip))
            {
                return (owner, subnet);
            }
        }

        throw FormationException.NotFound($"No node's subnet holds {address}.");
    }

    private async Task<Ipv4Subnet?> BridgeSubnetAsync(CancellationToken cancellationToken)
    {
        var text = await ProcessRunner.CaptureAsync("ip", ["-4", "-o", "addr", "show", "dev", BridgeName], cancellationToken);
        foreach (var word in text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.Contains('/', StringComparison.Ordinal) && Ipv4Subnet.TryParse(word, out var subnet))
            {
                return subnet; // the gateway's address with its prefix: parsing keeps the network part
            }
        }

        return null;
    }
}

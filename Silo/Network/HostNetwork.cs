using System.Security.Cryptography;
using System.Text;
using Formation.Errors;
using Formation.Networking;
using Formation.Nodes;
using Formation.Silo.Hosting;
using Formation.Silo.Platform;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Network;

/// <summary>
/// This node's share of the network: a Linux bridge holding the gateway address of the node's subnet, and one TAP
/// port per VM with an address from the node's pool. Everything is idempotent, so a restarted silo re-adopts what
/// exists. What each TAP may send is <see cref="BridgeGuard"/>'s: a TAP joins the bridge already in the node's link
/// group, so it sends nothing until its entry is loaded; what is routed into the bridge is <see cref="OverlayGuard"/>'s,
/// loaded with the bridge. A VM that moved here from another node keeps its address (<see cref="AttachAsync"/> with its
/// home address; the mesh routes it here). Needs CAP_NET_ADMIN (root), iproute2 and nftables.
/// </summary>
public sealed partial class HostNetwork(
    IGrainFactory grains,
    NodeIdentity node,
    BridgeGuard guard,
    OverlayGuard overlay,
    EgressNat egress,
    IOptions<NetworkOptions> options,
    ILogger<HostNetwork> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, HostedAddress> _hosted = new(StringComparer.Ordinal); // by TAP
    private Ipv4Subnet? _subnet;

    public bool Enabled => options.Value.Enabled;

    public string BridgeName => options.Value.Bridge ?? BridgeNameFor(node.NodeId);

    /// <summary>The default bridge of a node: <c>fbr</c> + 8 hex digits of the node id's hash.</summary>
    public static string BridgeNameFor(string nodeId) => "fbr" + Hash(nodeId, 8);

    /// <summary>The node's subnet, once <see cref="EnsureBridgeAsync"/> ran.</summary>
    public Ipv4Subnet? Subnet => _subnet;

    /// <summary>Makes sure the bridge exists, is up and holds the gateway address of this node's subnet.</summary>
    public async Task<Ipv4Subnet> EnsureBridgeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_subnet is { } known && await LinkExistsAsync(BridgeName, cancellationToken))
            {
                return known;
            }

            // Silos of different clusters on one host (tests, demos) choose subnets apart only by seeing each other's
            // bridge routes: choosing and claiming one is done under a host-wide lock, or two starting together take the same.
            using var hostWide = await TakeBridgeLockAsync(cancellationToken);
            var routes = await HostRoutes.Ipv4Async(cancellationToken);
            var assigned = await grains.GetGrain<INetworkGrain>(GrainKeys.Cluster)
                .AssignSubnetAsync(node.NodeId, options.Value.Subnet, routes.Where(r => r.Device != BridgeName).Select(r => r.Subnet).ToList());
            var subnet = Ipv4Subnet.Parse(assigned);
            if (!await LinkExistsAsync(BridgeName, cancellationToken))
            {
                await IpAsync(cancellationToken, "link", "add", BridgeName, "type", "bridge");
            }

            var cidr = $"{subnet.Gateway}/{subnet.PrefixLength}";
            var addresses = await ProcessRunner.CaptureAsync("ip", ["-4", "-o", "addr", "show", "dev", BridgeName], cancellationToken);
            if (!addresses.Contains($" {cidr} ", StringComparison.Ordinal))
            {
                await IpAsync(cancellationToken, "addr", "replace", cidr, "dev", BridgeName);
            }

            // Before any TAP joins: a TAP of the node's group without an entry sends nothing (also on a host whose earlier
            // silo left the table: adoption has loaded the re-adopted VMs' entries by now).
            await guard.EnsureAsync(subnet, cancellationToken);
            await overlay.EnsureBridgeAsync(BridgeName, cancellationToken); // what may be routed into the bridge, mesh or not
            await SetProxyArpAsync(BridgeName, cancellationToken);
            await IpAsync(cancellationToken, "link", "set", BridgeName, "up");
            _subnet = subnet;
            LogBridge(BridgeName, subnet.ToString());
            return subnet;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Gives the VM its address and a TAP port on the bridge (idempotent), from which it may send only as itself and
    /// reach only <paramref name="account"/>'s guests on the bridge.
    /// <para>
    /// <paramref name="homeAddress"/> is for a VM that moved here (migration): the address it keeps, leased to it in its
    /// home node's pool (checked). From another node's subnet, the VM is a roaming guest: its network is its home's
    /// (address, prefix, gateway: what the restored guest still has), the bridge guard admits exactly that address and
    /// MAC, the /32 is routed to the bridge, the node answers the guest's ARP for its home gateway and subnet (proxy ARP:
    /// the node routes them), egress NAT covers it, and the mesh agent publishes the claim so every node routes the /32
    /// here (<see cref="Hosted"/>). From this node's own subnet (the VM came back home), it is attached as a native VM and
    /// the claim takes the address back from the node that had it.
    /// </para>
    /// <para>
    /// With <paramref name="claim"/> false (a VM arriving by live migration, which still runs on its old node) all of that
    /// is set up but the address is not claimed yet: <see cref="ClaimAsync"/> does that once the VM runs here.
    /// </para>
    /// </summary>
    public async Task<VmNetwork> AttachAsync(string vmId, string account, CancellationToken cancellationToken, string? homeAddress = null, bool claim = true)
    {
        var subnet = await EnsureBridgeAsync(cancellationToken);
        var tap = TapName(vmId);
        VmNetwork network;
        if (homeAddress is null)
        {
            var address = await grains.GetGrain<IAddressPoolGrain>(node.NodeId).AllocateAsync(vmId, subnet.ToString());
            network = new VmNetwork(tap, MacFor(vmId), address, subnet.Gateway.ToString(), subnet.Netmask.ToString(), subnet.PrefixLength);
        }
        else
        {
            var (owner, home) = await HomeOfAsync(homeAddress);
            var leased = await grains.GetGrain<IAddressPoolGrain>(owner).ListAsync();
            if (!leased.TryGetValue(vmId, out var lease) || lease != homeAddress)
            {
                throw FormationException.Conflict($"Address {homeAddress} is not leased to VM {vmId} in node {owner}'s pool; a moving VM keeps only its own address.");
            }

            network = new VmNetwork(tap, MacFor(vmId), homeAddress, home.Gateway.ToString(), home.Netmask.ToString(), home.PrefixLength);
        }

        // One ip process for the whole set-up (process starts dominate the cost). -force goes on after an error such
        // as "tuntap add" of a TAP that a previous boot already made; the last line must then succeed. The group goes on
        // before the TAP joins the bridge (fail closed: see BridgeGuard).
        var batch = $"tuntap add dev {tap} mode tap\nlink set dev {tap} group {guard.LinkGroup}\nlink set dev {tap} master {BridgeName} up\n";
        var result = await ProcessRunner.RunAsync("ip", ["-force", "-batch", "-"], null, 10, TimeSpan.FromSeconds(30), cancellationToken,
            writeStdin: (stdin, ct) => stdin.WriteAsync(System.Text.Encoding.ASCII.GetBytes(batch), ct).AsTask());
        if (result.ExitCode != 0 && !await TapIsOnBridgeAsync(tap, cancellationToken))
        {
            throw new InvalidOperationException($"could not attach TAP {tap} to {BridgeName}: {string.Join(" | ", result.OutputTail)}");
        }

        await guard.AdmitAsync(network, account, cancellationToken);
        if (homeAddress is not null && claim)
        {
            await HostAsync(network, subnet, cancellationToken);
        }

        return network;
    }

    /// <summary>Claims a VM's address for this node (attached with <c>claim: false</c>): the mesh agent publishes it next.</summary>
    public async Task ClaimAsync(VmNetwork network, CancellationToken cancellationToken) =>
        await HostAsync(network, await EnsureBridgeAsync(cancellationToken), cancellationToken);

    /// <summary>
    /// A re-adopted VM's TAP (silo restart): back in the node's link group (a TAP made before the guard had none) and
    /// its entry loaded again, as the VM's launch record says.
    /// </summary>
    public async Task ReadmitAsync(VmNetwork network, string account, CancellationToken cancellationToken)
    {
        await guard.AdmitAsync(network, account, cancellationToken);
        await ProcessRunner.RunAsync("ip", ["link", "set", "dev", network.Tap, "group", guard.LinkGroup.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            null, 5, TimeSpan.FromSeconds(30), cancellationToken);

        // A roaming guest (an address outside the bridge's subnet) is claimed again: it runs here, so the claim is current.
        if ((_subnet ?? await BridgeSubnetAsync(cancellationToken)) is { } subnet && !subnet.Contains(System.Net.IPAddress.Parse(network.Address)))
        {
            await HostAsync(network, subnet, cancellationToken);
        }
    }

    /// <summary>
    /// Takes a VM's TAP off the bridge (it stays up, its frames go nowhere) or puts it back: a clone is kept off until its
    /// guest has dropped the identity it was restored with.
    /// </summary>
    public async Task SetBridgedAsync(string tap, bool bridged, CancellationToken cancellationToken)
    {
        if (bridged)
        {
            await IpAsync(cancellationToken, "link", "set", "dev", tap, "master", BridgeName, "up");
        }
        else
        {
            await IpAsync(cancellationToken, "link", "set", "dev", tap, "nomaster");
        }
    }

    private async Task<bool> TapIsOnBridgeAsync(string tap, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("ip", ["-o", "link", "show", "dev", tap], null, 5, TimeSpan.FromSeconds(30), cancellationToken);
        return result.ExitCode == 0 && string.Join(' ', result.OutputTail).Contains($"master {BridgeName}", StringComparison.Ordinal);
    }

    /// <summary>
    /// Removes the VM's TAP and frees its address (idempotent). With <paramref name="keepAddress"/> (the VM moves to another
    /// node) the lease stays in its home pool; without, a roaming VM's address is freed in its home node's pool too. A
    /// hosted address's route and claim go either way: every node drops its /32 at its next sync.
    /// </summary>
    public async Task DetachAsync(string vmId, CancellationToken cancellationToken, bool keepAddress = false)
    {
        var tap = TapName(vmId);
        if (await LinkExistsAsync(tap, cancellationToken))
        {
            await IpAsync(cancellationToken, "link", "del", tap);
        }

        await guard.RemoveAsync(tap, cancellationToken);
        HostedAddress? hosted;
        lock (_hosted)
        {
            _hosted.Remove(tap, out hosted);
        }

        if (hosted is not null && _subnet is { } subnet)
        {
            if (!subnet.Contains(System.Net.IPAddress.Parse(hosted.Address)))
            {
                await ProcessRunner.RunAsync("ip", RoamingRoute("del", hosted.Address, BridgeName), null, 5, TimeSpan.FromSeconds(30), cancellationToken);
            }

            await egress.SetVisitingAsync(Visiting(subnet), cancellationToken);
        }

        if (!keepAddress)
        {
            await grains.GetGrain<IAddressPoolGrain>(node.NodeId).ReleaseAsync(vmId);
            if (hosted is not null)
            {
                await ReleaseAddressAsync(vmId, hosted.Address);
            }
        }
    }

    /// <summary>Linux interface names have at most 15 characters: <c>ft</c> + the VM id without its prefix.</summary>
    public static string TapName(string vmId)
    {
        var suffix = vmId.StartsWith("vm-", StringComparison.Ordinal) ? vmId[3..] : Hash(vmId, 10);
        return "ft" + suffix[..Math.Min(10, suffix.Length)];
    }

    /// <summary>A stable, locally administered unicast MAC for the VM.</summary>
    public static string MacFor(string vmId)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(vmId));
        return $"02:fa:{h[0]:x2}:{h[1]:x2}:{h[2]:x2}:{h[3]:x2}";
    }

    public static async Task<bool> LinkExistsAsync(string name, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("ip", ["link", "show", "dev", name], null, 5, TimeSpan.FromSeconds(30), cancellationToken);
        return result.ExitCode == 0;
    }

    private static async Task<LockFile> TakeBridgeLockAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(HostLocks.Directory);
        var path = Path.Combine(HostLocks.Directory, "bridge-subnets.lock");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (LockFile.TryTake(path, out var owner) is { } taken)
            {
                return taken;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new IOException($"Could not take {path} within 30 s: another silo{LockFile.Describe(owner)} holds it while setting up its bridge.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static Task<string> IpAsync(CancellationToken cancellationToken, params string[] args) => ProcessRunner.CaptureAsync("ip", args, cancellationToken);

    private static string Hash(string value, int length) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..length];

    [LoggerMessage(Level = LogLevel.Information, Message = "Bridge {Bridge} ready for subnet {Subnet}")]
    private partial void LogBridge(string bridge, string subnet);
}

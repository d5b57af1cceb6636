using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Formation.Grains.Hosting;
using Formation.Networking;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Nodes;
using Formation.Silo.Platform;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Network;

/// <summary>
/// This node's part of the WireGuard mesh: makes the key pair and the interface, publishes key, endpoint, overlay
/// address and VM subnet in the node record, then follows cluster membership — every node that has a mesh identity
/// and has not left is a peer with its subnet routed through it; peers of nodes that left are removed. What comes in
/// from the mesh for the node's guests is <see cref="OverlayGuard"/>'s: loaded before the first peer is set, and told
/// the nodes' and devices' addresses on every sync.
/// <para>
/// Roaming addresses (a VM that moved keeps its address, <see cref="HostNetwork.AttachAsync"/>): the node publishes the
/// ones it hosts in its record; every node gives each such /32 to the peer of its latest claimant (<see cref="MeshPlan"/>)
/// and routes it into the mesh, the address's home node too (a /32 beats its bridge's connected subnet), whose bridge
/// guard then lets its guests send there. A claim that goes (the VM deleted or moved on) is dropped at the next sync.
/// </para>
/// <para>
/// A host that moves (its underlay address changes: a DHCP renumbering, another network) is re-learned by its peers from
/// its own packets — WireGuard's roaming: a peer takes the source of the latest authenticated packet as the endpoint —
/// and the agent never puts back the stale endpoint of the node record over a learned one (it sets an endpoint only
/// when the record's changes). The moved host may have nothing to send for up to the persistent keepalive's 25 s, so
/// when this host's own addresses change it sends one datagram through the tunnel to every peer at once
/// (<see cref="NudgePeersIfMovedAsync"/>).
/// </para>
/// </summary>
public sealed partial class MeshAgent(
    IGrainFactory grains,
    LocalNode node,
    HostNetwork network,
    EgressNat egress,
    OverlayGuard guard,
    IOptions<MeshOptions> options,
    string dataDirectory,
    ILogger<MeshAgent> logger) : ILifecycleParticipant<ISiloLifecycle>, IMeshHost
{
    /// <summary>One sync at a time: the loop's and the ones asked for (<see cref="SyncNowAsync"/>).</summary>
    private readonly SemaphoreSlim _syncGate = new(1, 1);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, string?> _appliedEndpoints = new(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private string? _hostAddresses;
    private WireGuardInterface? _wg;
    private NodeMesh? _mesh;

    public string InterfaceName => options.Value.Interface ?? InterfaceNameFor(node.Identity.NodeId);

    /// <summary>The default interface of a node: <c>fwg</c> + the same 8 hex digits as its bridge.</summary>
    public static string InterfaceNameFor(string nodeId) => "fwg" + HostNetwork.BridgeNameFor(nodeId)[3..];

    /// <summary>Whether this node runs a mesh (see <see cref="MeshOptions.Mode"/>).</summary>
    public bool Enabled => network.Enabled && options.Value.Mode.ToLowerInvariant() switch
    {
        "on" => true,
        "off" => false,
        _ => node.Info.StorageMode == "cluster" && !AdvertisedAddress.StartsWith("127.", StringComparison.Ordinal),
    };

    /// <summary>The identity this node published, once set up.</summary>
    public NodeMesh? Mesh => _mesh;

    private string AdvertisedAddress => node.Info.SiloEndpoint[..Math.Max(0, node.Info.SiloEndpoint.LastIndexOf(':'))];

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MeshAgent), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (Enabled)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token));
        }

        return Task.CompletedTask;
    }

    // The interface, its peers and routes stay: a restarting silo must not cut its VMs' traffic.
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop;
        await _watch;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.SyncInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_mesh is null)
                {
                    _mesh = await SetUpAsync(cancellationToken);
                    _watch = Task.Run(() => WatchAddressesAsync(cancellationToken), CancellationToken.None);
                }

                await SyncOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSyncFailed(ex, InterfaceName);
            }

            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<NodeMesh> SetUpAsync(CancellationToken cancellationToken)
    {
        var subnet = await network.EnsureBridgeAsync(cancellationToken);
        var overlay = subnet.Gateway.ToString();
        await guard.EnsureAsync(InterfaceName, network.BridgeName, cancellationToken); // before any peer can send
        var (keyPath, publicKey) = await WireGuardInterface.EnsureKeyAsync(Path.Combine(dataDirectory, "mesh"), cancellationToken);
        var wg = new WireGuardInterface(InterfaceName);
        await wg.EnsureAsync(keyPath, options.Value.ListenPort, overlay, cancellationToken);
        await HostForwarding.EnableIpv4Async(cancellationToken);
        if (options.Value.Egress)
        {
            await egress.EnsureAsync(subnet, network.BridgeName, InterfaceName, cancellationToken);
        }

        var endpoint = options.Value.Endpoint ?? $"{AdvertisedAddress}:{options.Value.ListenPort}";
        var mesh = new NodeMesh(publicKey, endpoint, overlay, subnet.ToString(), network.Hosted);
        await grains.GetGrain<INodeGrain>(node.Identity.NodeId).SetMeshAsync(mesh);
        _wg = wg;
        LogMeshReady(wg.Name, wg.Implementation, overlay, endpoint, publicKey);
        return mesh;
    }

    /// <summary>
    /// Looks at this host's addresses every second, on its own: the sync loop may be stuck in a grain call that cannot
    /// get through while the peers still send to the old address.
    /// </summary>
    private async Task WatchAddressesAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await NudgePeersIfMovedAsync(cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSyncFailed(ex, InterfaceName);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// When this host's IPv4 addresses changed since the last look: every peer's source address is reset (see
    /// <see cref="WireGuardInterface.ResetSourceAsync"/>), then one datagram (to the discard port) goes through the tunnel
    /// to every peer's first address: WireGuard sends it (or the handshake it needs first) from the new source address,
    /// and each peer learns the new endpoint within a round trip instead of at the next keepalive. Only the peers already
    /// on the interface are nudged; their endpoints stay what they were.
    /// </summary>
    private async Task NudgePeersIfMovedAsync(CancellationToken cancellationToken)
    {
        var addresses = HostAddresses();
        var before = _hostAddresses;
        _hostAddresses = addresses;
        if (before is null || before == addresses)
        {
            return;
        }

        var peers = await _wg!.PeersAsync(cancellationToken);
        foreach (var peer in peers.Where(p => p.Endpoint is not null))
        {
            await _wg.ResetSourceAsync(peer.PublicKey, peer.Endpoint!, cancellationToken);
        }

        var targets = peers
            .SelectMany(p => p.AllowedIps)
            .Select(cidr => cidr.EndsWith("/32", StringComparison.Ordinal) && IPAddress.TryParse(cidr[..^3], out var device) ? device
                : Ipv4Subnet.TryParse(cidr, out var subnet) ? subnet.Gateway // a node's VM subnet: the node's own overlay address
                : null)
            .OfType<IPAddress>()
            .ToList();
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        foreach (var target in targets)
        {
            try
            {
                await udp.SendAsync(new byte[] { 0 }, new IPEndPoint(target, 9), cancellationToken);
            }
            catch (SocketException)
            {
                // A peer without a route yet: its next sync sets it, and its handshake then comes from here anyway.
            }
        }

        LogMoved(before, addresses, targets.Count);
    }

    /// <summary>This network namespace's IPv4 addresses (interfaces up, loopback left out), sorted: what a move changes.</summary>
    private static string HostAddresses() => string.Join(' ', NetworkInterface.GetAllNetworkInterfaces()
        .Where(i => i.OperationalStatus != OperationalStatus.Down && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(i => i.GetIPProperties().UnicastAddresses)
        .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork)
        .Select(a => a.Address.ToString())
        .Order(StringComparer.Ordinal));

    /// <summary>The overlay address of this node (its subnet's gateway), or null while it has no mesh.</summary>
    public string? OverlayAddress => _mesh?.OverlayAddress;

    /// <summary>Another node's overlay address as its record has it, or null when it has no mesh (or is gone).</summary>
    public async Task<string?> OverlayAddressOfAsync(string nodeId)
    {
        var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        return nodes.FirstOrDefault(n => n.NodeId == nodeId && n.Health != NodeHealth.Left)?.Info.Mesh?.OverlayAddress;
    }

    public async Task SyncNowAsync(CancellationToken cancellationToken)
    {
        if (_mesh is null)
        {
            return; // no mesh (or not set up yet): the loop's first sync publishes everything
        }

        try
        {
            await SyncOnceAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSyncFailed(ex, InterfaceName);
        }
    }

    /// <summary>
    /// Syncs here, then has every other node of the mesh sync too (each starts its sync and answers at once): a claim this
    /// node just made (a VM that arrived) turns the others' routes now, not at their next round.
    /// </summary>
    public async Task PublishNowAsync(CancellationToken cancellationToken)
    {
        await SyncNowAsync(cancellationToken);
        if (_mesh is null)
        {
            return;
        }

        try
        {
            var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
            await Task.WhenAll(nodes
                .Where(n => n.NodeId != node.Identity.NodeId && n.Health == NodeHealth.Healthy && n.Info.Mesh is not null)
                .Select(n => grains.GetGrain<INodeGrain>(n.NodeId).SyncMeshAsync()));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSyncFailed(ex, InterfaceName); // they sync at their next round anyway
        }
    }

    private async Task SyncOnceAsync(CancellationToken cancellationToken)
    {
        await _syncGate.WaitAsync(cancellationToken);
        try
        {
            await SyncAsync(cancellationToken);
        }
        finally
        {
            _syncGate.Release();
        }
    }

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        var wg = _wg!;

        // The roaming addresses this node hosts go into its record first, so this very sync's plan has them too.
        var hosted = network.Hosted;
        if (!hosted.SequenceEqual(_mesh!.Hosted ?? []))
        {
            var mesh = _mesh with { Hosted = hosted };
            await grains.GetGrain<INodeGrain>(node.Identity.NodeId).SetMeshAsync(mesh);
            _mesh = mesh;
            LogHosted(string.Join(',', hosted.Select(h => h.Address)));
        }

        var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var devices = await grains.GetGrain<INetDevicesGrain>(GrainKeys.Cluster).ListAsync();
        var wanted = MeshPlan.Peers(node.Identity.NodeId, nodes,
            devices.Select(d => new MeshPeer("device:" + d.Name, d.PublicKey, null, [d.Address + "/32"])));
        await guard.SetFabricAsync(FabricAddresses(nodes, devices), cancellationToken);
        await network.SetAwayAsync(MeshPlan.Away(node.Identity.NodeId, Ipv4Subnet.Parse(_mesh.Subnet), nodes), cancellationToken);
        var current = (await wg.PeersAsync(cancellationToken)).ToDictionary(p => p.PublicKey, StringComparer.Ordinal);

        foreach (var peer in wanted)
        {
            var known = current.TryGetValue(peer.PublicKey, out var have);
            var endpointChanged = !_appliedEndpoints.TryGetValue(peer.PublicKey, out var applied) || applied != peer.Endpoint;
            if (!known || endpointChanged || !have!.AllowedIps.Order().SequenceEqual(peer.AllowedIps.Order()))
            {
                await wg.SetPeerAsync(peer, setEndpoint: !known || endpointChanged, cancellationToken);
                _appliedEndpoints[peer.PublicKey] = peer.Endpoint;
                LogPeerSet(wg.Name, peer.Name, peer.Endpoint ?? "(roaming)", string.Join(',', peer.AllowedIps));
            }
        }

        var keep = wanted.Select(p => p.PublicKey).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in current.Keys.Where(k => !keep.Contains(k)))
        {
            await wg.RemovePeerAsync(gone, cancellationToken);
            _appliedEndpoints.Remove(gone);
            LogPeerRemoved(wg.Name, gone);
        }

        await wg.SyncRoutesAsync(wanted.SelectMany(p => p.AllowedIps).ToList(), _mesh!.OverlayAddress, cancellationToken);
    }

    /// <summary>The addresses that reach every guest through the mesh: the nodes' overlay addresses and the devices'.</summary>
    public static IEnumerable<System.Net.IPAddress> FabricAddresses(IEnumerable<NodeStatus> nodes, IEnumerable<NetDevice> devices)
    {
        foreach (var n in nodes)
        {
            if (n.Health != NodeHealth.Left && n.Info.Mesh is { } mesh && System.Net.IPAddress.TryParse(mesh.OverlayAddress, out var address))
            {
                yield return address;
            }
        }

        foreach (var device in devices)
        {
            if (System.Net.IPAddress.TryParse(device.Address, out var address))
            {
                yield return address;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh interface {Interface} ({Implementation}) up at {Overlay}, endpoint {Endpoint}, key {PublicKey}")]
    private partial void LogMeshReady(string @interface, string implementation, string overlay, string endpoint, string publicKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh: this node hosts roaming addresses [{Addresses}]")]
    private partial void LogHosted(string addresses);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh: this host's addresses changed ({Before} -> {After}); nudged {Peers} peer address(es) so they learn where it is now")]
    private partial void LogMoved(string before, string after, int peers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh {Interface}: peer {Peer} at {Endpoint} routes {AllowedIps}")]
    private partial void LogPeerSet(string @interface, string peer, string endpoint, string allowedIps);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mesh {Interface}: peer {PublicKey} removed")]
    private partial void LogPeerRemoved(string @interface, string publicKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mesh {Interface}: set-up or sync failed; retrying")]
    private partial void LogSyncFailed(Exception ex, string @interface);
}

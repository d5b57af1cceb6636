using System.Globalization;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Mesh;
using Formation.Testing;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// Two nodes joined by a real WireGuard tunnel, for live overlay-guard tests. Node 1 is this host (the test's own
/// namespace, where the silo code under test loads its nftables tables): a <see cref="BridgeLab"/> with its guests and
/// a <see cref="WireGuardInterface"/>. Node 2 is a network namespace (<c>fx{tag}n2</c>) with its own bridge
/// (<c>10.248.x.1/24</c>), its own WireGuard interface (wireguard-go or the kernel's, like node 1) and guests of its
/// own (namespaces whose veth is a port of node 2's bridge). The nodes meet on a veth pair (<c>10.249.x.1/30</c> here,
/// <c>.2</c> in node 2); each routes the other's VM subnet through its tunnel, as the mesh agent does. Disposing removes
/// all of it.
/// </summary>
public sealed class OverlayLab : IAsyncDisposable
{
    private readonly string _tag = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly int _third = Random.Shared.Next(1, 250);
    private readonly List<string> _namespaces = [];
    private readonly TestDirectory _keys = new("overlay");

    private OverlayLab(BridgeLab node1)
    {
        Node1 = node1;
        Node = new NodeIdentity("xnodetest-" + _tag);
        Guard = new OverlayGuard(Node);
    }

    /// <summary>Node 1's identity (a second <see cref="OverlayGuard"/> of it stands for a restarted silo).</summary>
    public NodeIdentity Node { get; }

    /// <summary>Node 1's bridge and guests (this namespace).</summary>
    public BridgeLab Node1 { get; }

    /// <summary>Node 1's overlay guard (its table is removed on dispose).</summary>
    public OverlayGuard Guard { get; }

    /// <summary>Node 1's WireGuard interface.</summary>
    public string Mesh1 => "fxw" + _tag;

    /// <summary>Node 2's namespace.</summary>
    public string Node2 => $"fx{_tag}n2";

    /// <summary>Node 2's overlay address: the gateway of its VM subnet (as <see cref="MeshAgent"/> sets it up).</summary>
    public string Node2Gateway => $"10.248.{_third}.1";

    private string Node2Subnet => $"10.248.{_third}.0/24";

    private string Mesh2 => "fxv" + _tag;

    public static async Task<OverlayLab> CreateAsync()
    {
        Prerequisites.Require(Tool("wg") && Tool("wireguard-go") && Tool("nft") && Tool("busybox"),
            "wg (wireguard-tools), wireguard-go, nft (nftables) and busybox (busybox-static) are needed by the overlay tests");
        var lab = new OverlayLab(await BridgeLab.CreateAsync());
        try
        {
            await lab.ConnectAsync();
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>A guest of node 2 at <c>10.248.x.{host}</c>: a namespace on node 2's bridge; returns its namespace.</summary>
    public async Task<string> AddNode2GuestAsync(int host)
    {
        var ns = $"fx{_tag}g{host:x2}";
        var outer = $"fxo{_tag}{host:x2}";
        await VethGuest.RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        await VethGuest.RunAsync("ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await VethGuest.RunAsync("ip", "link", "set", outer, "netns", Node2);
        await In(Node2, "ip", "link", "set", outer, "master", "br0", "up");
        await In(ns, "ip", "addr", "add", $"{Node2Address(host)}/24", "dev", "eth0");
        await In(ns, "ip", "link", "set", "eth0", "up");
        await In(ns, "ip", "link", "set", "lo", "up");
        await In(ns, "ip", "route", "add", "default", "via", Node2Gateway);
        return ns;
    }

    public string Node2Address(int host) => $"10.248.{_third}.{host}";

    /// <summary>Node 1's address on the link to its LAN neighbour (<see cref="AddNeighbourAsync"/>).</summary>
    public string NeighbourGateway => $"10.249.{_third}.5";

    /// <summary>The LAN neighbour's address.</summary>
    public string NeighbourAddress => $"10.249.{_third}.6";

    /// <summary>
    /// A host on node 1's underlay that is no node (<c>fx{tag}nb</c>, <see cref="NeighbourAddress"/> on a veth pair whose
    /// other end, <see cref="NeighbourGateway"/>/30, is node 1's) and routes node 1's VM subnet through node 1, as a
    /// neighbour on the LAN can; returns its namespace.
    /// </summary>
    public async Task<string> AddNeighbourAsync()
    {
        var ns = $"fx{_tag}nb";
        var link = "fxn" + _tag;
        await VethGuest.RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        await VethGuest.RunAsync("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await VethGuest.RunAsync("ip", "addr", "add", NeighbourGateway + "/30", "dev", link);
        await VethGuest.RunAsync("ip", "link", "set", link, "up");
        await In(ns, "ip", "addr", "add", NeighbourAddress + "/30", "dev", "eth0");
        await In(ns, "ip", "link", "set", "eth0", "up");
        await In(ns, "ip", "link", "set", "lo", "up");
        await In(ns, "ip", "route", "add", Node1.Subnet, "via", NeighbourGateway);
        return ns;
    }

    /// <summary>One ping from <paramref name="ns"/> (optionally from address <paramref name="source"/>) to <paramref name="address"/>.</summary>
    public static async Task<bool> PingAsync(string ns, string address, string? source = null)
    {
        string[] from = source is null ? [] : ["-I", source];
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "2", .. from, address],
            null, 10, TimeSpan.FromSeconds(20), CancellationToken.None);
        return result.ExitCode == 0;
    }

    private async Task ConnectAsync()
    {
        // The underlay: a veth pair between this namespace and node 2's.
        var underlay = "fxu" + _tag;
        await VethGuest.RunAsync("ip", "netns", "add", Node2);
        _namespaces.Add(Node2);
        await VethGuest.RunAsync("ip", "link", "add", underlay, "type", "veth", "peer", "name", "eth1", "netns", Node2);
        await VethGuest.RunAsync("ip", "addr", "add", $"10.249.{_third}.1/30", "dev", underlay);
        await VethGuest.RunAsync("ip", "link", "set", underlay, "up");
        await In(Node2, "ip", "addr", "add", $"10.249.{_third}.2/30", "dev", "eth1");
        await In(Node2, "ip", "link", "set", "eth1", "up");
        await In(Node2, "ip", "link", "set", "lo", "up");
        await In(Node2, "sysctl", "-qw", "net.ipv4.ip_forward=1");

        // Node 2's VM bridge.
        await In(Node2, "ip", "link", "add", "br0", "type", "bridge");
        await In(Node2, "ip", "addr", "add", $"{Node2Gateway}/24", "dev", "br0");
        await In(Node2, "ip", "link", "set", "br0", "up");

        // Node 1's tunnel, made as the mesh agent makes it; its overlay address is its bridge's gateway.
        await HostForwarding.EnableIpv4Async(CancellationToken.None);
        var (key1, public1) = await WireGuardInterface.EnsureKeyAsync(Path.Combine(_keys.Path, "n1"), CancellationToken.None);
        var (key2, public2) = await WireGuardInterface.EnsureKeyAsync(Path.Combine(_keys.Path, "n2"), CancellationToken.None);
        var (port1, port2) = (FreePorts.Next(), FreePorts.Next());
        var wg1 = new WireGuardInterface(Mesh1);
        await wg1.EnsureAsync(key1, port1, Node1.Gateway, CancellationToken.None);
        await wg1.SetPeerAsync(new MeshPeer("n2", public2, $"10.249.{_third}.2:{port2}", [Node2Subnet]), setEndpoint: true, CancellationToken.None);
        await wg1.SyncRoutesAsync([Node2Subnet], Node1.Gateway, CancellationToken.None);

        // Node 2's tunnel: the same steps inside its namespace (the kernel's WireGuard where there is one, else wireguard-go).
        if (!await TryIn(Node2, "ip", "link", "add", Mesh2, "type", "wireguard"))
        {
            await In(Node2, "wireguard-go", Mesh2);
        }

        var port = port2.ToString(CultureInfo.InvariantCulture);
        await In(Node2, "wg", "set", Mesh2, "private-key", key2, "listen-port", port, "peer", public1, "allowed-ips", Node1.Subnet,
            "endpoint", $"10.249.{_third}.1:{port1}", "persistent-keepalive", "25");
        await In(Node2, "ip", "addr", "add", Node2Gateway + "/32", "dev", Mesh2);
        await In(Node2, "ip", "link", "set", Mesh2, "up");
        await In(Node2, "ip", "route", "add", Node1.Subnet, "dev", Mesh2, "src", Node2Gateway);
    }

    private static Task In(string ns, params string[] command) => VethGuest.RunAsync(["ip", "netns", "exec", ns, .. command]);

    private static async Task<bool> TryIn(string ns, params string[] command)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, .. command], null, 10, TimeSpan.FromSeconds(30), CancellationToken.None);
        return result.ExitCode == 0;
    }

    private static bool Tool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, name)));

    public async ValueTask DisposeAsync()
    {
        // A wireguard-go daemon ends when its interface is deleted (and keeps node 2's namespace alive until then).
        await VethGuest.CaptureAsync("ip", "netns", "exec", Node2, "ip", "link", "del", Mesh2);
        await VethGuest.CaptureAsync("ip", "link", "del", Mesh1);
        await VethGuest.CaptureAsync("ip", "link", "del", "fxu" + _tag);
        await VethGuest.CaptureAsync("ip", "link", "del", "fxn" + _tag);
        foreach (var ns in _namespaces)
        {
            await VethGuest.CaptureAsync("ip", "netns", "del", ns);
        }

        await HostNft.DeleteAsync("inet", Guard.Table, CancellationToken.None);
        await Node1.DisposeAsync();
        _keys.Dispose();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Formation.Networking;
using Formation.Nodes;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Testing;
using Formation.Vms;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// Three simulated hosts for live roaming-address tests, each a network namespace (<c>rl{tag}h{n}</c>) on a shared
/// underlay bridge in this namespace, with a VM bridge (<c>br0</c>, gateway <c>.1</c> of <c>10.77.{x+n}.0/24</c>, in the overlay range as on a real node: egress NAT leaves it alone; only inside the namespaces) and a
/// WireGuard interface (<c>rw{tag}{n}</c>, the kernel's or wireguard-go). What each host's silo would do is done by the same
/// production code, applied inside the host's namespace: <see cref="MeshPlan"/> decides peers, their allowed IPs and the
/// routes through it (as <see cref="WireGuardInterface.SyncRoutesAsync"/> sets them), and the host's away
/// addresses; <see cref="BridgeGuard.Ruleset"/>, <see cref="OverlayGuard.Ruleset"/>, <see cref="EgressNat.Ruleset"/> and
/// <see cref="PortForwards.Ruleset"/> are its nftables tables; <see cref="HostNetwork.RoamingRoute"/> and
/// <see cref="HostNetwork.ProxyArpSettings"/> its roaming route and proxy ARP. Guests are namespaces whose veth is a port
/// of a host's bridge (MAC and address set inside, as a guest kernel would). Disposing removes all of it.
/// </summary>
public sealed class RoamingLab : IAsyncDisposable
{
    private readonly string _tag = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
    private readonly int _x = Random.Shared.Next(0, 240);
    private readonly List<string> _namespaces = [];
    private readonly List<Process> _servers = [];
    private readonly TestDirectory _keys = new("roaming");
    private readonly Dictionary<int, Host> _hosts = [];
    private readonly List<Guest> _guests = [];
    private readonly Dictionary<int, List<(string Address, PortPublish Port)>> _published = [];

    private RoamingLab()
    {
    }

    /// <summary>A guest: its namespace, its port on host <see cref="Host"/>'s bridge and what its VM was given there.</summary>
    public sealed record Guest(int Host, string Namespace, string Port, VmNetwork Network, string Account)
    {
        public string Address => Network.Address;
    }

    private sealed record Host(int N, string Namespace, string NodeId, Ipv4Subnet Subnet, string PublicKey, string Endpoint, List<HostedAddress> Hosted)
    {
        /// <summary>Unique on the machine: wireguard-go's control socket (/var/run/wireguard/NAME.sock) is not per namespace.</summary>
        public string Wg => "rw" + NodeId[2..6] + N;
    }

    private string UnderlayBridge => $"rl{_tag}ub";

    public string UnderlayAddress(int octet) => $"10.243.{_x}.{octet}";

    public Ipv4Subnet Subnet(int host) => Ipv4Subnet.Parse($"10.77.{_x + host}.0/24");

    public string HostNamespace(int host) => _hosts[host].Namespace;

    /// <summary>Host <paramref name="host"/>'s WireGuard interface.</summary>
    public string MeshInterface(int host) => _hosts[host].Wg;

    public static async Task<RoamingLab> CreateAsync(int hosts)
    {
        Prerequisites.Require(Tool("wg") && Tool("wireguard-go") && Tool("nft") && Tool("busybox"),
            "wg (wireguard-tools), wireguard-go, nft (nftables) and busybox (busybox-static) are needed by the roaming tests");
        var lab = new RoamingLab();
        try
        {
            await VethGuest.RunAsync("ip", "link", "add", lab.UnderlayBridge, "type", "bridge");
            await VethGuest.RunAsync("ip", "link", "set", lab.UnderlayBridge, "up");
            for (var n = 1; n <= hosts; n++)
            {
                await lab.AddHostAsync(n);
            }

            await lab.SyncAsync();
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>A namespace on the underlay that is no node and has no route to any VM subnet (the outside world).</summary>
    public async Task<string> AddOutsideAsync()
    {
        var ns = $"rl{_tag}out";
        await VethGuest.RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        await VethGuest.RunAsync("ip", "link", "add", $"rl{_tag}uo", "type", "veth", "peer", "name", "ul0", "netns", ns);
        await VethGuest.RunAsync("ip", "link", "set", $"rl{_tag}uo", "master", UnderlayBridge, "up");
        await In(ns, "ip", "addr", "add", UnderlayAddress(200) + "/24", "dev", "ul0");
        await In(ns, "ip", "link", "set", "ul0", "up");
        await In(ns, "ip", "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>
    /// A guest on <paramref name="host"/>'s bridge at <paramref name="address"/> with the IP configuration of
    /// <paramref name="home"/>'s subnet (its own host's for a native guest; another's for one that moved). Its port joins
    /// the host's link group (its bridge-guard entry loaded) only when <paramref name="guarded"/>.
    /// </summary>
    public async Task<Guest> AddGuestAsync(int host, int home, string address, string account, bool guarded = true)
    {
        var h = _hosts[host];
        var i = _guests.Count;
        var ns = $"rl{_tag}g{i:x2}";
        var port = $"rl{_tag}p{i:x2}";
        var subnet = Subnet(home);
        var network = new VmNetwork(port, $"02:fc:{_tag[..2]}:{_tag[2..4]}:{host:x2}:{i:x2}", address, subnet.Gateway.ToString(), subnet.Netmask.ToString(), subnet.PrefixLength);
        var guest = new Guest(host, ns, port, network, account);
        await VethGuest.RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        await VethGuest.RunAsync("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await VethGuest.RunAsync("ip", "link", "set", port, "netns", h.Namespace);
        if (guarded)
        {
            await In(h.Namespace, "ip", "link", "set", "dev", port, "group", LinkGroup(h));
        }

        await In(h.Namespace, "ip", "link", "set", port, "master", "br0", "up");
        await In(ns, "ip", "link", "set", "eth0", "address", network.Mac);
        await In(ns, "ip", "addr", "add", $"{address}/{subnet.PrefixLength}", "dev", "eth0");
        await In(ns, "ip", "link", "set", "eth0", "up");
        await In(ns, "ip", "link", "set", "lo", "up");
        await In(ns, "ip", "route", "add", "default", "via", network.Gateway);
        _guests.Add(guest);
        if (host != home)
        {
            // What HostNetwork does for a roaming attach: the /32 to the bridge, and the claim the mesh agent publishes.
            await In(h.Namespace, ["ip", .. HostNetwork.RoamingRoute("replace", address, "br0")]);
            h.Hosted.Add(new HostedAddress(address, DateTimeOffset.UtcNow));
        }

        await SyncAsync();
        return guest;
    }

    /// <summary>Puts an unguarded guest's port into its host's link group, as a VM's TAP is from its creation.</summary>
    public async Task GuardAsync(Guest guest)
    {
        await In(_hosts[guest.Host].Namespace, "ip", "link", "set", "dev", guest.Port, "group", LinkGroup(_hosts[guest.Host]));
    }

    /// <summary>The guest goes (its VM deleted or moved on): port, route and claim removed, then every host syncs.</summary>
    public async Task RemoveGuestAsync(Guest guest)
    {
        var h = _hosts[guest.Host];
        _guests.Remove(guest);
        await VethGuest.CaptureAsync("ip", "netns", "exec", h.Namespace, "ip", "link", "del", guest.Port);
        await VethGuest.CaptureAsync("ip", "netns", "del", guest.Namespace);
        _namespaces.Remove(guest.Namespace);
        if (h.Hosted.RemoveAll(c => c.Address == guest.Address) > 0)
        {
            await VethGuest.CaptureAsync(["ip", "netns", "exec", h.Namespace, "ip", .. HostNetwork.RoamingRoute("del", guest.Address, "br0")]);
        }

        await SyncAsync();
    }

    /// <summary>Host <paramref name="host"/> publishes <paramref name="guest"/>'s port (DNAT of its underlay address).</summary>
    public async Task PublishAsync(int host, Guest guest, PortPublish port)
    {
        (_published.TryGetValue(host, out var list) ? list : _published[host] = []).Add((guest.Address, port));
        await SyncAsync();
    }

    /// <summary>
    /// What every host's mesh agent and network do on a sync, from the node records the hosts would publish: peers and
    /// their allowed IPs, the routes through WireGuard, the away addresses, and the nftables tables.
    /// </summary>
    public async Task SyncAsync()
    {
        var records = _hosts.Values.Select(Record).ToList();
        var owners = _guests.GroupBy(g => IPAddress.Parse(g.Address)).ToDictionary(g => g.Key, g => g.Last().Account); // one address, two hosts: a move
        var fabric = _hosts.Values.Select(h => h.Subnet.Gateway).ToList();
        foreach (var h in _hosts.Values)
        {
            var peers = MeshPlan.Peers(h.NodeId, records, []);
            foreach (var peer in peers)
            {
                await In(h.Namespace, "wg", "set", h.Wg, "peer", peer.PublicKey, "allowed-ips", string.Join(',', peer.AllowedIps),
                    "endpoint", peer.Endpoint!, "persistent-keepalive", "25");
            }

            // The routes as WireGuardInterface.SyncRoutesAsync keeps them: exactly the peers' allowed IPs.
            var wanted = peers.SelectMany(p => p.AllowedIps).Select(c => c.EndsWith("/32", StringComparison.Ordinal) ? c[..^3] : c).ToHashSet(StringComparer.Ordinal);
            var present = (await VethGuest.CaptureAsync("ip", "netns", "exec", h.Namespace, "ip", "-4", "route", "show", "dev", h.Wg))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
            foreach (var cidr in wanted.Where(w => !present.Contains(w)))
            {
                await In(h.Namespace, "ip", "route", "replace", cidr, "dev", h.Wg, "src", h.Subnet.Gateway.ToString());
            }

            foreach (var stale in present.Where(p => !wanted.Contains(p)))
            {
                await In(h.Namespace, "ip", "route", "del", stale, "dev", h.Wg);
            }

            var ports = _guests.Where(g => g.Host == h.N).Select(g => new GuardedPort(g.Network, g.Account));
            var away = MeshPlan.Away(h.NodeId, h.Subnet, records);
            var visiting = h.Hosted.Select(c => c.Address).Where(a => !h.Subnet.Contains(IPAddress.Parse(a))).ToList();
            var forwards = _published.TryGetValue(h.N, out var published) ? published : [];
            await LoadAsync(h.Namespace, BridgeGuard.Ruleset("formation_g", LinkGroupOf(h), ports, h.Subnet, away));
            await LoadAsync(h.Namespace, OverlayGuard.Ruleset("formation_x", h.Wg, "br0", fabric, owners));
            await LoadAsync(h.Namespace, EgressNat.Ruleset("formation_e", h.Subnet, "br0", h.Wg, [], visiting));
            await LoadAsync(h.Namespace, PortForwards.Ruleset("formation_p", forwards));
        }
    }

    /// <summary>The allowed IPs host <paramref name="host"/>'s WireGuard interface has for its peers, and its routes through it.</summary>
    public async Task<string> MeshStateAsync(int host) =>
        await VethGuest.CaptureAsync("ip", "netns", "exec", _hosts[host].Namespace, "wg", "show", _hosts[host].Wg, "allowed-ips") + "\n" +
        await VethGuest.CaptureAsync("ip", "netns", "exec", _hosts[host].Namespace, "ip", "-4", "route", "show", "dev", _hosts[host].Wg);

    /// <summary>The device host <paramref name="host"/> routes <paramref name="address"/> to.</summary>
    public async Task<string> RouteDeviceAsync(int host, string address)
    {
        var text = await VethGuest.CaptureAsync("ip", "netns", "exec", _hosts[host].Namespace, "ip", "-4", "route", "get", address);
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dev = Array.IndexOf(words, "dev");
        return dev >= 0 && dev + 1 < words.Length ? words[dev + 1] : text;
    }

    /// <summary>Starts a TCP server in <paramref name="ns"/> that answers every connection with "reached".</summary>
    public async Task ServeAsync(string ns, int port)
    {
        var server = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "busybox", "nc", "-ll", "-p", port.ToString(CultureInfo.InvariantCulture), "-e", "/bin/echo", "reached"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _servers.Add(server);
        for (var i = 0; i < 50 && !(await VethGuest.CaptureAsync("ip", "netns", "exec", ns, "ss", "-Hltn")).Contains($":{port} ", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Counts, in <paramref name="ns"/>, the packets that arrive from <paramref name="source"/> (an nftables counter of
    /// its own): what shows whether a spoofed packet got through, whatever happens to the reply.
    /// </summary>
    public static async Task WatchSourceAsync(string ns, string source)
    {
        await LoadAsync(ns, HostNft.Replacing("inet", "spy") +
            $"table inet spy {{\n  chain input {{\n    type filter hook input priority -300; policy accept;\n    ip saddr {source} counter\n  }}\n}}\n");
    }

    /// <summary>The packets <see cref="WatchSourceAsync"/>'s counter saw.</summary>
    public static async Task<long> SeenAsync(string ns)
    {
        var text = await VethGuest.CaptureAsync("ip", "netns", "exec", ns, "nft", "list", "chain", "inet", "spy", "input");
        var words = text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var i = Array.IndexOf(words, "packets");
        return i >= 0 ? long.Parse(words[i + 1], CultureInfo.InvariantCulture) : -1;
    }

    public static Task In(string ns, params string[] command) => VethGuest.RunAsync(["ip", "netns", "exec", ns, .. command]);

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            try
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            server.Dispose();
        }

        // A wireguard-go daemon ends when its interface is deleted (and keeps its namespace alive until then).
        foreach (var h in _hosts.Values)
        {
            await VethGuest.CaptureAsync("ip", "netns", "exec", h.Namespace, "ip", "link", "del", h.Wg);
        }

        foreach (var ns in _namespaces)
        {
            await VethGuest.CaptureAsync("ip", "netns", "del", ns);
        }

        foreach (var h in _hosts.Values)
        {
            await VethGuest.CaptureAsync("ip", "link", "del", $"rl{_tag}u{h.N}");
        }

        await VethGuest.CaptureAsync("ip", "link", "del", $"rl{_tag}uo");
        await VethGuest.CaptureAsync("ip", "link", "del", UnderlayBridge);
        _keys.Dispose();
    }

    private async Task AddHostAsync(int n)
    {
        var ns = $"rl{_tag}h{n}";
        var subnet = Subnet(n);
        var wg = $"rw{_tag}{n}";
        await VethGuest.RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        await VethGuest.RunAsync("ip", "link", "add", $"rl{_tag}u{n}", "type", "veth", "peer", "name", "ul0", "netns", ns);
        await VethGuest.RunAsync("ip", "link", "set", $"rl{_tag}u{n}", "master", UnderlayBridge, "up");
        await In(ns, "ip", "addr", "add", UnderlayAddress(10 + n) + "/24", "dev", "ul0");
        await In(ns, "ip", "link", "set", "ul0", "up");
        await In(ns, "ip", "link", "set", "lo", "up");
        await In(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        await In(ns, "ip", "link", "add", "br0", "type", "bridge");
        await In(ns, "ip", "addr", "add", $"{subnet.Gateway}/{subnet.PrefixLength}", "dev", "br0");
        foreach (var (path, value) in HostNetwork.ProxyArpSettings("br0"))
        {
            await In(ns, "sysctl", "-qw", $"{path}={value}");
        }

        await In(ns, "ip", "link", "set", "br0", "up");

        var (key, publicKey) = await WireGuardInterface.EnsureKeyAsync(Path.Combine(_keys.Path, $"h{n}"), CancellationToken.None);
        var port = FreePorts.Next().ToString(CultureInfo.InvariantCulture);
        var kernel = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "ip", "link", "add", wg, "type", "wireguard"], null, 10, TimeSpan.FromSeconds(30), CancellationToken.None);
        if (kernel.ExitCode != 0)
        {
            await In(ns, "wireguard-go", wg);
        }

        await In(ns, "wg", "set", wg, "private-key", key, "listen-port", port);
        await In(ns, "ip", "addr", "add", $"{subnet.Gateway}/32", "dev", wg);
        await In(ns, "ip", "link", "set", wg, "up");
        var h = new Host(n, ns, $"rl{_tag}-h{n}", subnet, publicKey, $"{UnderlayAddress(10 + n)}:{port}", []);
        _hosts[n] = h;
        await LoadAsync(ns, BridgeGuard.Ruleset("formation_g", LinkGroupOf(h), [], subnet, []));
    }

    private NodeStatus Record(Host h)
    {
        var t = DateTimeOffset.UtcNow;
        var info = new NodeInfo(h.NodeId, h.Namespace, 2, 1024, 10, false, "", "sim", "", h.Endpoint, h.Endpoint, new NodeCapacity(2, 1024, 10), t, "test",
            Mesh: new NodeMesh(h.PublicKey, h.Endpoint, h.Subnet.Gateway.ToString(), h.Subnet.ToString(), [.. h.Hosted]));
        return new NodeStatus(info, NodeHealth.Healthy, t, new NodeCapacity(0, 0, 0), 0);
    }

    private static uint LinkGroupOf(Host h) => BridgeGuard.LinkGroupFor(h.NodeId);

    private static string LinkGroup(Host h) => LinkGroupOf(h).ToString(CultureInfo.InvariantCulture);

    private static async Task LoadAsync(string ns, string ruleset)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], null, 20, TimeSpan.FromSeconds(30), CancellationToken.None,
            writeStdin: (s, ct) => s.WriteAsync(Encoding.ASCII.GetBytes(ruleset), ct).AsTask());
        Assert.True(result.ExitCode == 0, $"nft in {ns}: {string.Join(" | ", result.OutputTail)}\n{ruleset}");
    }

    private static bool Tool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, name)));
}

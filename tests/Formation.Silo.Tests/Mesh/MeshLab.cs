using System.Diagnostics;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Network;
using Formation.Silo.Tests.Infrastructure;
using Npgsql;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// Several hosts on this one machine: each a network namespace with an underlay veth on a shared test bridge (in the
/// root namespace, which also holds the test and PostgreSQL), its own silo process (cluster mode, PostgreSQL through
/// its Unix socket), and so its own bridge and WireGuard interface. Guests are stood in for by namespaces whose veth
/// sits on a host's VM bridge. Every name starts with <c>ov</c> + a lab id; disposing removes all of it.
/// </summary>
public sealed class MeshLab : IAsyncDisposable
{
    private readonly string _id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
    private readonly List<int> _hosts = [];
    private readonly List<string> _namespaces = [];
    private readonly List<Process> _servers = [];
    private readonly List<SiloProcess> _silos = [];
    private readonly TestDirectory _data = new("mesh");
    private readonly int _octet = Random.Shared.Next(1, 250);

    private MeshLab()
    {
    }

    public string UnderlayBridge => $"ov{_id}br";

    /// <summary>The underlay /24 shared by all simulated hosts; the root namespace holds .1.</summary>
    public string UnderlayAddress(int host) => $"10.231.{_octet}.{host}";

    public string HostNamespace(int host) => $"ov{_id}h{host}";

    public string NodeId(int host) => $"ov{_id}-h{host}";

    public SiloProcess Silo(int host) => _silos.Single(s => s.Options.NodeId == NodeId(host));

    public string DataDirectory(int host) => Path.Combine(_data.Path, $"h{host}");

    public static async Task<MeshLab> CreateAsync()
    {
        Prerequisites.Require(HostTool("wg") && HostTool("wireguard-go") && HostTool("nft") && HostTool("busybox") && HostTool("curl"),
            "wg (wireguard-tools), wireguard-go, nft (nftables), busybox (busybox-static) and curl are needed by the mesh tests");
        var lab = new MeshLab();
        await lab.RunAsync("ip", "link", "add", lab.UnderlayBridge, "type", "bridge");
        await lab.RunAsync("ip", "addr", "add", $"{lab.UnderlayAddress(1)}/24", "dev", lab.UnderlayBridge);
        await lab.RunAsync("ip", "link", "set", lab.UnderlayBridge, "up");
        return lab;
    }

    /// <summary>Makes host <paramref name="host"/>'s namespace (underlay address .10+host) — no silo yet.</summary>
    public async Task AddHostAsync(int host)
    {
        await AddNamespaceAsync(HostNamespace(host), UnderlayAddress(10 + host), $"ov{_id}u{host}");
        _hosts.Add(host);
    }

    /// <summary>A namespace on the underlay that is not a node: stands for "the outside" (no route to the overlay).</summary>
    public Task<string> AddOutsideAsync() => AddUnderlayNamespaceAsync("out", 250);

    /// <summary>A namespace <c>ov{id}{name}</c> on the underlay at .<paramref name="octet"/> (a device, the outside).</summary>
    public async Task<string> AddUnderlayNamespaceAsync(string name, int octet)
    {
        var ns = $"ov{_id}{name}";
        await AddNamespaceAsync(ns, UnderlayAddress(octet), $"ov{_id}u{name}");
        return ns;
    }

    /// <summary>Runs scripts/form against the cluster (through PostgreSQL membership, with the admin credential); its exit code and output.</summary>
    public Task<(int ExitCode, string Output)> FormAsync(string database, params string[] args) => FormAsAsync(AdminCredential, database, args);

    /// <summary>Runs scripts/form against the cluster as the account whose credential is at <paramref name="credential"/>.</summary>
    public async Task<(int ExitCode, string Output)> FormAsAsync(string credential, string database, params string[] args)
    {
        // Exit code 2 means no silo answered within form's 5 s connect budget (a loaded machine); ask again until a deadline.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var result = await ProcessRunner.RunAsync(RepositoryPaths.Script("form"), SiloProcess.WithOptions(args, "--postgres", database),
                new Dictionary<string, string> { ["FORM_LOCAL_API"] = "0", ["FORMATION_CREDENTIAL"] = credential }, TimeSpan.FromMinutes(5));
            if (result.ExitCode != 2 || DateTime.UtcNow > deadline)
            {
                return (result.ExitCode, result.Output);
            }
        }
    }

    /// <summary>
    /// Creates a simulated VM <paramref name="name"/> on host <paramref name="host"/> as the credential's account; its address,
    /// for a stand-in guest to hold (the overlay guard lets only VMs of one account meet across nodes).
    /// </summary>
    public async Task<string> SimVmAddressAsync(string database, string credential, string name, int host)
    {
        var create = await FormAsAsync(credential, database, "vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--disk", "1", "--node", NodeId(host));
        Assert.True(create.ExitCode == 0, create.Output);
        return (await Eventually.HoldsAsync(async () =>
        {
            var show = await FormAsAsync(credential, database, "vm", "show", name, "--json");
            if (show.ExitCode != 0 || show.Output.IndexOf('{') < 0)
            {
                return null;
            }

            using var json = System.Text.Json.JsonDocument.Parse(show.Output[show.Output.IndexOf('{')..(show.Output.LastIndexOf('}') + 1)]);
            return json.RootElement.GetProperty("vm").TryGetProperty("address", out var address) ? address.GetString() : null;
        }, a => !string.IsNullOrEmpty(a), TimeSpan.FromSeconds(60), $"VM {name} has an address"))!;
    }

    /// <summary>Brings a wg-quick config up inside <paramref name="ns"/> with wireguard-go (no kernel module needed).</summary>
    public async Task WgQuickUpAsync(string ns, string configPath) =>
        await RunAsync("ip", "netns", "exec", ns, "env", "WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go", "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1",
            "wg-quick", "up", configPath);

    /// <summary>The admin credential of the first host's silo (it made the cluster).</summary>
    public string AdminCredential => ClusterJoin.AdminCredential(_silos[0]);

    public string ConfigPath(string name) => Path.Combine(_data.Path, $"ov{_id}{name}.conf");

    /// <summary>
    /// Starts host <paramref name="host"/>'s silo with <paramref name="driver"/>: the first makes the cluster CA, later
    /// ones join through it with a token. The silo enters only the host's network namespace (nsenter): `ip netns exec`
    /// would also remount /sys, and the silo would find no cgroup file systems for its builds and VMs.
    /// </summary>
    public async Task<SiloProcess> StartSiloAsync(int host, PostgresServer postgres, string database, string driver = "sim",
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var socket = new NpgsqlConnectionStringBuilder(database) { Host = postgres.SocketDirectory, Port = postgres.Port }.ToString();
        var options = new SiloProcessOptions(NodeId(host), DataDirectory(host))
        {
            Mode = "cluster",
            Postgres = socket,
            Advertise = UnderlayAddress(10 + host),
            Driver = driver,
            Wrapper = ["nsenter", $"--net=/run/netns/{HostNamespace(host)}"],
            // Simulated VMs get addresses from their node's pool, so a stand-in guest can take a VM's address (and account).
            // Each host its own run directory and VM cgroups, as a real host has (SimulatedHost).
            Environment = new Dictionary<string, string>(SimulatedHost.Environment(HostNamespace(host)).Concat(environment ?? new Dictionary<string, string>()))
            {
                ["Formation__Sim__Addresses"] = "true",
            },
        };
        var silo = await SiloProcess.StartAsync(_silos.Count == 0 ? options : await ClusterJoin.JoiningAsync(options, _silos[0]), TimeSpan.FromSeconds(120));
        _silos.Add(silo);
        return silo;
    }

    /// <summary>A namespace standing in for a guest on host <paramref name="host"/>'s VM bridge, at <paramref name="address"/>.</summary>
    public async Task<string> AddGuestAsync(int host, string name, string address, string gateway, int prefixLength)
    {
        var ns = $"ov{_id}{name}";
        var outer = $"ov{_id}{name}o";
        await RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        await RunAsync("ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await RunAsync("ip", "link", "set", outer, "netns", HostNamespace(host));
        await InAsync(HostNamespace(host), "ip", "link", "set", outer, "master", HostNetwork.BridgeNameFor(NodeId(host)), "up");
        await InAsync(ns, "ip", "addr", "add", $"{address}/{prefixLength}", "dev", "eth0");
        await InAsync(ns, "ip", "link", "set", "eth0", "up");
        await InAsync(ns, "ip", "link", "set", "lo", "up");
        await InAsync(ns, "ip", "route", "add", "default", "via", gateway);
        return ns;
    }

    /// <summary>busybox httpd serving <paramref name="body"/> as /index.html in <paramref name="ns"/>, port 8080.</summary>
    public void ServeHttp(string ns, string body)
    {
        var root = Path.Combine(_data.Path, "www-" + ns);
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"), body);
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", ns, "busybox", "httpd", "-f", "-p", "8080", "-h", root })
        {
            info.ArgumentList.Add(a);
        }

        _servers.Add(Process.Start(info)!);
    }

    /// <summary>Fetches a page from inside <paramref name="ns"/>; the body, or null when it failed.</summary>
    public async Task<string?> FetchAsync(string ns, string url)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "curl", "-sS", "--max-time", "3", url], timeout: TimeSpan.FromSeconds(20));
        return result.ExitCode == 0 ? result.Output.TrimEnd('\n') : null;
    }

    public async Task<bool> PingAsync(string ns, string address)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "2", address], timeout: TimeSpan.FromSeconds(20));
        return result.ExitCode == 0;
    }

    /// <summary>The public keys of the peers of WireGuard interface <paramref name="wg"/> in host <paramref name="host"/>'s namespace.</summary>
    /// <summary>Host <paramref name="host"/>'s mesh identity once its node record has one.</summary>
    public async Task<NodeMesh> MeshOfAsync(ISchedulerGrain scheduler, int host, TimeSpan timeout) =>
        (await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Any(n => n.NodeId == NodeId(host) && n.Info.Mesh is not null),
            timeout, $"host {host} publishes its mesh identity"))
        .Single(n => n.NodeId == NodeId(host)).Info.Mesh!;

    public async Task<IReadOnlyList<string>> PeersAsync(int host, string wg)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", HostNamespace(host), "wg", "show", wg, "peers"]);
        return result.ExitCode == 0 ? result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
    }

    public Task<string> InAsync(string ns, params string[] command) => RunAsync(["ip", "netns", "exec", ns, .. command]);

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            try
            {
                server.Kill();
                await server.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }

            server.Dispose();
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        // A wireguard-go daemon keeps its namespace alive until its interface is deleted; whatever else still runs in
        // a namespace of this lab was started by it and ends with it.
        foreach (var ns in _namespaces)
        {
            var links = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "ip", "-o", "link", "show", "type", "tun"]);
            foreach (var line in links.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var name = line.Split(':', 3)[1].Trim();
                await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "ip", "link", "del", name]);
            }

            var pids = await ProcessRunner.RunAsync("ip", ["netns", "pids", ns]);
            foreach (var pid in pids.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                await ProcessRunner.RunAsync("kill", ["-KILL", pid.Trim()]);
            }

            await ProcessRunner.RunAsync("ip", ["netns", "del", ns]);
        }

        await ProcessRunner.RunAsync("ip", ["link", "del", UnderlayBridge]);
        foreach (var host in _hosts)
        {
            await SimulatedHost.RemoveAsync(HostNamespace(host));
        }

        _data.Dispose();
    }

    private async Task AddNamespaceAsync(string ns, string address, string veth)
    {
        await RunAsync("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        await RunAsync("ip", "link", "add", veth, "type", "veth", "peer", "name", "ul0", "netns", ns);
        await RunAsync("ip", "link", "set", veth, "master", UnderlayBridge, "up");
        await InAsync(ns, "ip", "addr", "add", $"{address}/24", "dev", "ul0");
        await InAsync(ns, "ip", "link", "set", "ul0", "up");
        await InAsync(ns, "ip", "link", "set", "lo", "up");
    }

    private async Task<string> RunAsync(params string[] command)
    {
        var result = await ProcessRunner.RunAsync(command[0], command[1..]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' failed ({result.ExitCode}): {result.Output}");
        }

        return result.Output;
    }

    private static bool HostTool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Any(d => File.Exists(Path.Combine(d, name)));
}

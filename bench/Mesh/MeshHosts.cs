using Formation.Bench.FrontDoor;
using Formation.Silo.Network;
using Formation.Testing;

namespace Formation.Bench.Mesh;

/// <summary>
/// Simulated hosts (<see cref="Underlay"/>) each running a formation-silo in cluster mode on one private PostgreSQL
/// (<see cref="BenchCluster"/>, reached through its Unix socket), so each host has its own bridge and WireGuard mesh
/// interface (wireguard-go where the kernel has no module), as in the mesh tests.
/// </summary>
public sealed class MeshHosts : IAsyncDisposable
{
    private MeshHosts(Underlay underlay, BenchCluster cluster)
    {
        Underlay = underlay;
        Cluster = cluster;
    }

    public Underlay Underlay { get; }

    public BenchCluster Cluster { get; }

    public static async Task<MeshHosts> CreateAsync(string bench)
    {
        var underlay = await Underlay.CreateAsync();
        try
        {
            return new MeshHosts(underlay, await BenchCluster.StartPostgresAsync(bench));
        }
        catch
        {
            await underlay.DisposeAsync();
            throw;
        }
    }

    /// <summary>The mesh interface of host <paramref name="host"/>'s silo.</summary>
    public string Interface(int host) => MeshAgent.InterfaceNameFor(Underlay.NodeId(host));

    /// <summary>
    /// The options of host <paramref name="host"/>'s silo, with a join token when it is not the first: entering the
    /// host's namespace, advertising its underlay address. Getting them is not part of a silo's start.
    /// </summary>
    public Task<SiloProcessOptions> OptionsAsync(int host, string driver = "sim", IReadOnlyDictionary<string, string>? environment = null) => Cluster.JoiningAsync(
        new SiloProcessOptions(Underlay.NodeId(host), Cluster.DataDirectory(Underlay.NodeId(host)))
        {
            Driver = driver,
            Postgres = Cluster.PostgresSocket,
            Advertise = Underlay.Address(host),
            Wrapper = Underlay.Enter(host),
            // Its own run directory and VM cgroups, as a real host has.
            Environment = new Dictionary<string, string>(SimulatedHost.Environment(Underlay.Namespace(host)).Concat(environment ?? new Dictionary<string, string>())),
        });

    /// <summary>Makes host <paramref name="host"/> and starts its silo (joining the cluster unless it is the first).</summary>
    public async Task<SiloProcess> AddAsync(int host, string driver = "sim", IReadOnlyDictionary<string, string>? environment = null)
    {
        await Underlay.AddHostAsync(host);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var silo = await SiloProcess.StartAsync(await OptionsAsync(host, driver, environment), TimeSpan.FromMinutes(7));
                Cluster.Adopt(silo);
                return silo;
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("could not join", StringComparison.Ordinal))
            {
                // Seen on a machine at load 40: the CA holder's join endpoint broke the connection. Setting up is not what
                // is measured; a new token and a new start.
                Console.WriteLine($"  host {host}: the join failed ({ex.Message.Split('\n').ElementAtOrDefault(1)}); starting it again");
            }
        }
    }

    /// <summary>The public key of host <paramref name="host"/>'s mesh interface, or null while it has none.</summary>
    public async Task<string?> PublicKeyAsync(int host)
    {
        var (code, output) = await Underlay.TryInAsync(host, "wg", "show", Interface(host), "public-key");
        // wg prints "(none)" between wireguard-go making the interface and the silo giving it its key.
        return code == 0 && output.Trim() is { Length: > 0 } key && key != "(none)" ? key : null;
    }

    /// <summary>Host <paramref name="host"/>'s overlay address (the one on its mesh interface).</summary>
    public async Task<string> OverlayAddressAsync(int host)
    {
        // "7: fwg…    inet 10.77.3.1/32 scope global fwg…"
        var line = await Underlay.InAsync(host, "ip", "-4", "-o", "addr", "show", "dev", Interface(host));
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words[Array.IndexOf(words, "inet") + 1].Split('/')[0];
    }

    /// <summary>Waits until every host in <paramref name="hosts"/> has every other one's key as a peer.</summary>
    public async Task WaitForFullMeshAsync(IReadOnlyList<int> hosts, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var keys = new Dictionary<int, string?>();
            foreach (var host in hosts)
            {
                keys[host] = await PublicKeyAsync(host);
            }

            var complete = keys.Values.All(k => k is not null);
            foreach (var host in hosts.Where(_ => complete))
            {
                var peers = await Underlay.PeersAsync(host, Interface(host));
                complete &= hosts.Where(h => h != host).All(h => peers.Contains(keys[h]!));
            }

            if (complete)
            {
                return;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"hosts {string.Join(", ", hosts)} did not all peer with each other within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Underlay.DisposeAsync();
    }
}

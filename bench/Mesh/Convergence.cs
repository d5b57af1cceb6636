using System.Diagnostics;
using Formation.Testing;

namespace Formation.Bench.Mesh;

/// <summary>
/// Mesh convergence with N simulated hosts: N-1 silos form the mesh, then a new node (fresh data directory, joining
/// with a token) starts on the N-th host; the clock runs from its silo process's start until its key is a peer on every
/// other host's interface (read with <c>wg show</c> in their namespaces, every 100 ms). The anchor, measured in the same
/// start: the silo's own start (process start until it prints that it is up). Then it stops (SIGTERM, a clean leave)
/// and the clock runs until every other host dropped it. Each run is a new node on a new host, so N hosts run at once.
/// </summary>
public static class Convergence
{
    public static readonly TimeSpan Goal = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8); // generous: a loaded machine starts silos slowly

    public static async Task<int> RunAsync(int hostCount, int runs)
    {
        await using var hosts = await MeshHosts.CreateAsync("mesh-convergence");
        var others = Enumerable.Range(1, hostCount - 1).ToList();
        foreach (var host in others)
        {
            await hosts.AddAsync(host);
        }

        await hosts.WaitForFullMeshAsync(others, Timeout);
        Console.WriteLine($"  {others.Count} hosts in a full mesh; each run starts one more node on a new host");
        var samples = new List<Sample>();
        for (var run = 1; run <= runs; run++)
        {
            var sample = await JoinAndLeaveAsync(hosts, others, hostCount - 1 + run);
            samples.Add(sample);
            Console.WriteLine($"  run {run}: silo up {S(sample.Up)}, its interface has a key {S(sample.Interface)}, " +
                $"a peer on all {others.Count} others {S(sample.PeerOnAll)} (the last {S(sample.PeerOnAll - sample.Interface)} after its interface), " +
                $"it peers with all {S(sample.HasAll)}; left: dropped by all {S(sample.Dropped)} after SIGTERM");
        }

        var up = Median(samples.Select(s => s.Up));
        var all = Median(samples.Select(s => s.PeerOnAll));
        var mesh = Median(samples.Select(s => s.PeerOnAll - s.Interface));
        var dropped = Median(samples.Select(s => s.Dropped));
        Console.WriteLine($"-- median of {runs}, {hostCount} hosts: start -> a peer on all others {S(all)}; anchor, start -> silo up {S(up)}; " +
            $"load average after: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"  start -> peer on all             {S(all)}   (goal <= {S(Goal)}: {(all <= Goal ? "met" : "NOT met")})");
        Console.WriteLine($"  (start -> peer on all) / (start -> silo up)  {all / up,5:0.00}");
        Console.WriteLine($"  interface keyed -> peer on all   {S(mesh)}   (the mesh's own propagation)");
        Console.WriteLine($"  leave -> dropped by all          {S(dropped)}   (goal <= {S(Goal)}: {(dropped <= Goal ? "met" : "NOT met")})");
        return all <= Goal && dropped <= Goal ? 0 : 1;
    }

    private static async Task<Sample> JoinAndLeaveAsync(MeshHosts hosts, IReadOnlyList<int> others, int joiner)
    {
        await hosts.Underlay.AddHostAsync(joiner);
        var options = await hosts.OptionsAsync(joiner);
        var clock = Stopwatch.StartNew();
        var up = TimeSpan.Zero;
        var start = StartAsync();
        async Task<SiloProcess> StartAsync()
        {
            var started = await SiloProcess.StartAsync(options, TimeSpan.FromMinutes(7));
            up = clock.Elapsed;
            return started;
        }

        TimeSpan? keyed = null, hasAll = null;
        string? key = null;
        var seen = new Dictionary<int, TimeSpan>();
        while (keyed is null || seen.Count < others.Count || hasAll is null)
        {
            if (clock.Elapsed > Timeout || start.IsFaulted)
            {
                var late = await start; // throws the silo's own failure (with its output), if that is what happened
                hosts.Cluster.Adopt(late);
                throw new TimeoutException($"node {hosts.Underlay.NodeId(joiner)} did not converge within {Timeout.TotalSeconds:0} s " +
                    $"(key {key ?? "none"}, a peer on hosts {string.Join(", ", seen.Keys)}); its silo's last lines:\n" +
                    string.Join('\n', late.Output.Split('\n').TakeLast(30)));
            }

            key ??= await hosts.PublicKeyAsync(joiner);
            keyed ??= key is null ? null : clock.Elapsed;
            foreach (var host in others.Where(h => key is not null && !seen.ContainsKey(h)))
            {
                if ((await hosts.Underlay.PeersAsync(host, hosts.Interface(host))).Contains(key!))
                {
                    seen[host] = clock.Elapsed;
                }
            }

            if (keyed is not null && hasAll is null && (await hosts.Underlay.PeersAsync(joiner, hosts.Interface(joiner))).Count >= others.Count)
            {
                hasAll = clock.Elapsed;
            }

            await Task.Delay(Poll);
        }

        var silo = await start;
        hosts.Cluster.Adopt(silo);

        await silo.StopAsync();
        var left = Stopwatch.StartNew();
        var remaining = others.ToList();
        while (remaining.Count > 0)
        {
            if (left.Elapsed > Timeout)
            {
                throw new TimeoutException($"hosts {string.Join(", ", remaining)} still had the left node {hosts.Underlay.NodeId(joiner)} after {Timeout.TotalSeconds:0} s");
            }

            foreach (var host in remaining.ToList())
            {
                if (!(await hosts.Underlay.PeersAsync(host, hosts.Interface(host))).Contains(key!))
                {
                    remaining.Remove(host);
                }
            }

            await Task.Delay(Poll);
        }

        return new Sample(up, keyed!.Value, seen.Values.Max(), hasAll!.Value, left.Elapsed);
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string S(TimeSpan t) => $"{t.TotalSeconds:0.00} s";

    private sealed record Sample(TimeSpan Up, TimeSpan Interface, TimeSpan PeerOnAll, TimeSpan HasAll, TimeSpan Dropped);
}

using System.Diagnostics;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Testing;
using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Bench.Fabric;

/// <summary>
/// Placements per second by the scheduler grain of a real silo process (embedded mode, SQLite storage) with N simulated
/// nodes, from a client over the gateway. Anchors, same run: the same number of the cheapest call to a scheduler (an empty
/// node list), at the same concurrency; and the same placements on a second silo started with the benchmark-only switch
/// that turns identity off (no mutual TLS, no proofs, no caller checks), measured in alternation with the first.
/// </summary>
public static class SchedulerBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        var nodes = options.Int("nodes", 1000);
        var placements = options.Int("placements", 20000);
        var concurrency = options.Int("concurrency", 64);
        var rounds = options.Int("rounds", 5);
        Console.WriteLine($"== scheduler: {placements} placements on {nodes} simulated nodes, concurrency {concurrency}, identity on and off alternating ({rounds} rounds)");

        var (silo, dir) = await BenchSilo.StartAsync("bench-sched");
        var (open, openDir) = await BenchSilo.StartAsync("bench-sched-off", BenchSilo.WithoutIdentity());
        try
        {
            // Every round's placements stay reserved: give each node room for its share of all of them (warm-up and the
            // sequential run included), so the last round is not refused for capacity.
            var vcpus = Math.Max(64, (rounds * placements + 2000) / nodes + 8);
            await using var on = await Target.StartAsync(silo, NodeCredential(silo), nodes, concurrency, vcpus);
            await using var off = await Target.StartAsync(open, null, nodes, concurrency, vcpus);

            var anchorTime = await RunConcurrentAsync(placements, concurrency, _ => on.Anchor.ListNodesAsync());
            var onRates = new List<double>();
            var offRates = new List<double>();
            var onCpu = new List<double>();
            var offCpu = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                // Alternate which goes first, so a change in the machine's load falls on both alike.
                foreach (var identity in round % 2 == 0 ? new[] { true, false } : [false, true])
                {
                    var (target, process) = identity ? (on, silo) : (off, open);
                    var cpuBefore = CpuMs(process.Pid) + CpuMs(Environment.ProcessId);
                    var time = await RunConcurrentAsync(placements, concurrency, i => target.Scheduler.PlaceAsync(Request($"vm-{round}-{i}")));
                    var cpu = CpuMs(process.Pid) + CpuMs(Environment.ProcessId) - cpuBefore;
                    (identity ? onRates : offRates).Add(placements / time.TotalSeconds);
                    (identity ? onCpu : offCpu).Add(cpu * 1000 / placements);
                }
            }

            var sequential = new List<double>();
            for (var i = 0; i < 500; i++)
            {
                var sw = Stopwatch.StartNew();
                await on.Scheduler.PlaceAsync(Request($"seq-{i}"));
                sequential.Add(sw.Elapsed.TotalMilliseconds);
            }

            var list = await on.StopAsync();
            var overCommitted = list.Count(n => !n.Info.Allocatable.Fits(n.Reserved));
            var placed = list.Sum(n => n.VmCount);
            var rate = Stats.Median(onRates);
            var offRate = Stats.Median(offRates);
            var anchorRate = placements / anchorTime.TotalSeconds;
            Console.WriteLine($"placements/s      {rate,10:0}   identity on: median of {string.Join(", ", onRates.Select(r => r.ToString("0")))}");
            Console.WriteLine($"  identity off    {offRate,10:0}   (benchmark switch): median of {string.Join(", ", offRates.Select(r => r.ToString("0")))}");
            Console.WriteLine($"  on / off        {rate / offRate,10:0.00}");
            var cpuOn = Stats.Median(onCpu);
            var cpuOff = Stats.Median(offCpu);
            Console.WriteLine($"CPU per 1000      {cpuOn,10:0}   ms on, {cpuOff:0} ms off (silo + this client process; medians of {string.Join(", ", onCpu.Select(c => c.ToString("0")))} / {string.Join(", ", offCpu.Select(c => c.ToString("0")))})");
            Console.WriteLine($"  off / on CPU    {cpuOff / cpuOn,10:0.00}   (the throughput ratio a CPU-bound silo would see; steadier than wall time on a loaded machine)");
            Console.WriteLine($"load average      {File.ReadAllText("/proc/loadavg").Split(' ')[0],10}");
            Console.WriteLine($"anchor calls/s    {anchorRate,10:0}   (empty ListNodesAsync, same concurrency, identity on)");
            Console.WriteLine($"ratio             {rate / anchorRate,10:0.00}   placements per anchor call");
            Console.WriteLine($"sequential place  {Stats.Median(sequential),10:0.00} ms median, {Stats.Percentile(sequential, 99):0.00} ms p99");
            Console.WriteLine($"check             {placed} reservations on {list.Count} nodes, {overCommitted} over-committed");
            Console.WriteLine($"goal              >= 2000 placements/s: {(rate >= 2000 ? "met" : "NOT met")}");
            Console.WriteLine($"goal              identity on >= 0.9 x off: {(rate / offRate >= 0.9 ? "met" : "NOT met")} (wall), {(cpuOff / cpuOn >= 0.9 ? "met" : "NOT met")} (CPU)");
            await off.StopAsync();
        }
        finally
        {
            await BenchSilo.StopAsync(silo, dir);
            await BenchSilo.StopAsync(open, openDir);
        }
    }

    /// <summary>A connected client with a scheduler of N healthy simulated nodes, warmed up, and an empty one (the anchor).</summary>
    private sealed class Target : IAsyncDisposable
    {
        private readonly ClusterConnection _connection;
        private readonly CancellationTokenSource _keepAlive = new();
        private Task _heartbeats = Task.CompletedTask;

        private Target(ClusterConnection connection)
        {
            _connection = connection;
            Scheduler = connection.Client.GetGrain<ISchedulerGrain>($"bench-{Guid.NewGuid():N}");
            Anchor = connection.Client.GetGrain<ISchedulerGrain>($"bench-anchor-{Guid.NewGuid():N}");
        }

        public ISchedulerGrain Scheduler { get; }

        public ISchedulerGrain Anchor { get; }

        public static async Task<Target> StartAsync(SiloProcess silo, string? credential, int nodes, int concurrency, int vcpus)
        {
            var connection = await ClusterConnection.ConnectAsync(
                new ConnectionSettings(silo.Gateway, null, "formation", "formation", TimeSpan.FromSeconds(10), credential), CancellationToken.None);
            var target = new Target(connection);
            var capacity = new NodeCapacity(vcpus, 256 * 1024, 2000);
            var ids = Enumerable.Range(0, nodes).Select(i => $"sim-{i:D4}").ToArray();
            await Task.WhenAll(ids.Select(id => target.Scheduler.RegisterNodeAsync(
                new NodeInfo(id, id, 16, 256 * 1024, 2000, false, "simulated", "sim", "benchmark", "", "", capacity, DateTimeOffset.UtcNow, "bench"))));
            target._heartbeats = KeepNodesHealthyAsync(target.Scheduler, ids, target._keepAlive.Token);
            await RunConcurrentAsync(1000, concurrency, _ => target.Anchor.ListNodesAsync()); // warm-up
            await RunConcurrentAsync(1000, concurrency, i => target.Scheduler.PlaceAsync(Request($"warm-{i}")));
            return target;
        }

        /// <summary>Stops the heartbeats and returns the scheduler's nodes.</summary>
        public async Task<IReadOnlyList<NodeStatus>> StopAsync()
        {
            await _keepAlive.CancelAsync();
            await _heartbeats;
            return await Scheduler.ListNodesAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await _keepAlive.CancelAsync();
            await _heartbeats;
            await _connection.DisposeAsync();
        }
    }

    /// <summary>CPU time (user + system) a process has used so far, in ms, from /proc/PID/stat.</summary>
    private static double CpuMs(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) * 1000.0 / 100; // utime, stime in clock ticks (USER_HZ 100)
    }

    private static PlacementRequest Request(string vmId) => new(vmId, new NodeCapacity(1, 512, 1), null);

    private static async Task<TimeSpan> RunConcurrentAsync(int count, int concurrency, Func<int, Task> call)
    {
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await call(i);
            }
        }));
        return sw.Elapsed;
    }

    private static async Task KeepNodesHealthyAsync(ISchedulerGrain scheduler, string[] ids, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(4), cancellationToken);
                await Task.WhenAll(ids.Select(scheduler.HeartbeatAsync));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// The silo's own node credential: placement, registration and heartbeats are node-only (refused to account
    /// credentials), so the benchmark calls them as the silos that make them in production do.
    /// </summary>
    private static string NodeCredential(SiloProcess silo) => Path.Combine(silo.Options.DataDirectory, "identity", "node.credential");
}

using System.Diagnostics;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Testing;
using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Bench.Fabric;

/// <summary>
/// Placements per second by the scheduler grain of a real silo process (embedded mode, SQLite storage) with N simulated
/// nodes, from a client over the gateway. Anchor: the same number of the cheapest call to a scheduler (an empty node
/// list), at the same concurrency, in the same run.
/// </summary>
public static class SchedulerBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        var nodes = options.Int("nodes", 1000);
        var placements = options.Int("placements", 20000);
        var concurrency = options.Int("concurrency", 64);
        Console.WriteLine($"== scheduler: {placements} placements on {nodes} simulated nodes, concurrency {concurrency}");

        var (silo, dir) = await BenchSilo.StartAsync("bench-sched");
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(
                new ConnectionSettings(silo.Gateway, null, "formation", "formation", TimeSpan.FromSeconds(10), NodeCredential(silo)), CancellationToken.None);
            var client = connection.Client;
            var scheduler = client.GetGrain<ISchedulerGrain>($"bench-{Guid.NewGuid():N}");
            var capacity = new NodeCapacity(64, 256 * 1024, 2000);
            var ids = Enumerable.Range(0, nodes).Select(i => $"sim-{i:D4}").ToArray();
            await Task.WhenAll(ids.Select(id => scheduler.RegisterNodeAsync(
                new NodeInfo(id, id, 16, 256 * 1024, 2000, false, "simulated", "sim", "benchmark", "", "", capacity, DateTimeOffset.UtcNow, "bench"))));
            using var keepAlive = new CancellationTokenSource();
            var heartbeats = KeepNodesHealthyAsync(scheduler, ids, keepAlive.Token);

            var anchor = client.GetGrain<ISchedulerGrain>($"bench-anchor-{Guid.NewGuid():N}");
            await RunConcurrentAsync(1000, concurrency, _ => anchor.ListNodesAsync()); // warm-up
            await RunConcurrentAsync(1000, concurrency, i => scheduler.PlaceAsync(Request($"warm-{i}")));

            var anchorTime = await RunConcurrentAsync(placements, concurrency, _ => anchor.ListNodesAsync());
            var placeTime = await RunConcurrentAsync(placements, concurrency, i => scheduler.PlaceAsync(Request($"vm-{i}")));
            var sequential = new List<double>();
            for (var i = 0; i < 500; i++)
            {
                var sw = Stopwatch.StartNew();
                await scheduler.PlaceAsync(Request($"seq-{i}"));
                sequential.Add(sw.Elapsed.TotalMilliseconds);
            }

            await keepAlive.CancelAsync();
            await heartbeats;

            var list = await scheduler.ListNodesAsync();
            var overCommitted = list.Count(n => !n.Info.Allocatable.Fits(n.Reserved));
            var placed = list.Sum(n => n.VmCount);
            var rate = placements / placeTime.TotalSeconds;
            var anchorRate = placements / anchorTime.TotalSeconds;
            Console.WriteLine($"placements/s      {rate,10:0}   ({placeTime.TotalSeconds:0.00} s for {placements})");
            Console.WriteLine($"anchor calls/s    {anchorRate,10:0}   (empty ListNodesAsync, same concurrency)");
            Console.WriteLine($"ratio             {rate / anchorRate,10:0.00}   placements per anchor call");
            Console.WriteLine($"sequential place  {Stats.Median(sequential),10:0.00} ms median, {Stats.Percentile(sequential, 99):0.00} ms p99");
            Console.WriteLine($"check             {placed} reservations on {list.Count} nodes, {overCommitted} over-committed");
            Console.WriteLine($"goal              >= 2000 placements/s: {(rate >= 2000 ? "met" : "NOT met")}");
        }
        finally
        {
            await BenchSilo.StopAsync(silo, dir);
        }
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

using Formation;
using Formation.Bench.FrontDoor;
using Formation.Scheduling;
using Formation.Testing;
using Formation.Vms;

// The fabric's front door under load: W concurrent workers each run `form vm create` N times (separate processes)
// against a 3-node cluster (sim driver, PostgreSQL). Anchor: the same run's single worker doing the same N creates.
//   formation-bench-frontdoor [--workers 20] [--creates 10] [--warmup 3] [--path local|orleans|both] [--idle 5]
//     --warmup: creates per worker in a round that is not counted (JIT), before the cluster is let settle
//     local:   the default path of form on a silo's host (the silo's local API socket, gateways in turn)
//     orleans: FORM_LOCAL_API=0, a full Orleans client per command
// FORM_BIN picks the CLI: artifacts/form/form-fast (the NativeAOT front end scripts/publish-cli publishes; what
// scripts/form runs when it is fresh), artifacts/form/form (ReadyToRun); default the JIT build's form.dll.
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
var workers = int.Parse(options.GetValueOrDefault("workers", "20"));
var creates = int.Parse(options.GetValueOrDefault("creates", "10"));
var warmupCreates = int.Parse(options.GetValueOrDefault("warmup", "3"));
var paths = options.GetValueOrDefault("path", "local") switch
{
    "both" => new[] { "local", "orleans" },
    var one => [one],
};

Console.WriteLine($"== front door: {workers} workers x {creates} creates, 3 silos (cluster mode, PostgreSQL, sim driver), {Environment.ProcessorCount} cores");
Console.WriteLine($"form: {FormProcess.Describe()}");
await using var cluster = await BenchCluster.StartAsync(3);
await using (var check = await cluster.ConnectAsync())
{
    var scheduler = check.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
    var until = DateTime.UtcNow.AddSeconds(60);
    while ((await scheduler.ListNodesAsync()).Count(n => n.Health == Formation.Nodes.NodeHealth.Healthy) < 3)
    {
        if (DateTime.UtcNow > until)
        {
            throw new TimeoutException("the three nodes did not all register within 60 s");
        }

        await Task.Delay(250);
    }
}

var goalsMet = true;
foreach (var path in paths)
{
    var environment = new Dictionary<string, string> { ["FORM_LOCAL_API"] = path == "orleans" ? "0" : "1", ["FORMATION_CREDENTIAL"] = cluster.AdminCredential };

    // A silo that has just started, or meets a code path for the first time, compiles it twice (the JIT's first tier,
    // then the optimized one once it is hot, on a background thread): seconds of CPU an operator's long-running silos
    // paid long ago. A warm-up round of the same shape (not counted), then a wait until the cluster is quiet, so that
    // neither measured run pays for the start or competes with the other's leftovers.
    var warmup = await CreateLoad.RunAsync(cluster, $"{path}-warm", workers, warmupCreates, environment);
    var settled = await CpuMeter.SettleAsync(cluster, TimeSpan.FromSeconds(90));
    Console.WriteLine($"-- path: {path}   warm-up {warmup.Succeeded}/{warmup.Attempts} ok; then {settled}");
    var anchorCpu = CpuMeter.Start(cluster);
    var anchor = await CreateLoad.RunAsync(cluster, $"{path}-one", 1, creates, environment);
    var anchorCpuText = anchorCpu.PerCreate(anchor.Attempts);
    var loadCpu = CpuMeter.Start(cluster);
    var load = await CreateLoad.RunAsync(cluster, $"{path}-many", workers, creates, environment);
    var loadCpuText = loadCpu.PerCreate(load.Attempts);
    Console.WriteLine($"   (load average {File.ReadAllText("/proc/loadavg").Trim()})");
    Report("anchor: 1 worker", anchor);
    Console.WriteLine($"  {"",-18} {anchorCpuText}");
    Report($"load: {workers} workers", load);
    Console.WriteLine($"  {"",-18} {loadCpuText}");
    var ratio = load.Percentile(99) / anchor.Percentile(50);
    var met = load.Succeeded == load.Attempts && ratio <= 5;
    goalsMet &= met;
    Console.WriteLine($"  p99 under load / anchor p50   {ratio,6:0.0} x   (goal: {load.Attempts}/{load.Attempts} answered, p99 <= 5 x: {(met ? "met" : "NOT met")})");
    Console.WriteLine($"  throughput under load / anchor {load.CreatesPerSecond / anchor.CreatesPerSecond,5:0.0} x");
    foreach (var failure in load.Failures.Concat(anchor.Failures).Take(5))
    {
        Console.WriteLine($"  failed: {failure}");
    }
}

// What the cluster costs doing nothing, after the runs (background work every command on this host competes with).
var idleWall = TimeSpan.FromSeconds(int.Parse(options.GetValueOrDefault("idle", "5")));
var idle = CpuMeter.Start(cluster);
await Task.Delay(idleWall);
Console.WriteLine($"-- idle {idleWall.TotalSeconds:0} s after the runs: {idle.PerSecond(idleWall)}");

// Every answered create made exactly one VM, and the scheduler's books match the catalog node by node.
await using (var check = await cluster.ConnectAsync())
{
    var vms = await check.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
    var nodes = await check.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
    var consistent = nodes.All(n => n.VmCount == vms.Count(v => v.NodeId == n.NodeId));
    Console.WriteLine($"-- check: {vms.Count} VMs in the catalog, {vms.Select(v => v.Name).Distinct().Count()} distinct names; " +
        $"per node {string.Join(", ", nodes.Select(n => $"{n.NodeId}={n.VmCount}"))}; scheduler matches catalog: {consistent}");
    goalsMet &= consistent;
}

return goalsMet ? 0 : 1;

static void Report(string what, CreateLoad.Outcome o) => Console.WriteLine(
    $"  {what,-18} {o.Succeeded,4}/{o.Attempts} ok   p50 {o.Percentile(50),7:0} ms   p99 {o.Percentile(99),7:0} ms   {o.CreatesPerSecond,6:0.00} creates/s   wall {o.Wall.TotalSeconds:0.0} s");

using Formation.Connection;
using Formation;
using Formation.Bench.Metrics;
using Formation.Testing;
using Formation.Vms;
using Orleans.Configuration;
using Orleans.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using System.Net;

// What metrics collection costs a node. Two silos run side by side, each with V simulated VMs (sim driver): the anchor
// with collection off (Formation__Metrics__Collect=false: no sampling, no endpoint), the other sampling every 10 s and
// serving /metrics (scraped every 10 s, as Prometheus would). Both silos' CPU time is measured over the same window; the
// difference is the collection's cost (goal: < 1 % of one core with 50 VMs). Sim VMs have no process, so a second part
// samples V real processes standing in for VM processes (their /proc and cgroup files) to show the per-VM read cost.
// A third silo samples without serving /metrics, to tell sampling from exporting. Measuring starts after --warmup seconds
// of the same load, so start-up JIT (tiered recompilation goes on for a while) is not counted as collection.
//   formation-bench-metrics [--vms 50] [--seconds 60] [--warmup 30]
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
var vmCount = int.Parse(options.GetValueOrDefault("vms", "50"));
var seconds = int.Parse(options.GetValueOrDefault("seconds", "60"));
var warmup = int.Parse(options.GetValueOrDefault("warmup", "30"));
Console.WriteLine($"== metrics collection: {vmCount} sim VMs per silo, {seconds} s window, {Environment.ProcessorCount} cores");

var root = Path.Combine(Path.GetTempPath(), "formation-bench", $"metrics-{Guid.NewGuid():N}");
// Room for every VM on the 1-vCPU sims whatever the host's size.
var off = new SiloProcessOptions("bench-off", Path.Combine(root, "off"))
{
    MetricsPort = 0,
    Environment = { ["Formation__Metrics__Collect"] = "false", ["Formation__Capacity__VCpus"] = $"{vmCount}" },
};
var on = new SiloProcessOptions("bench-on", Path.Combine(root, "on")) { Environment = { ["Formation__Capacity__VCpus"] = $"{vmCount}" } };
var sampling = new SiloProcessOptions("bench-sampling", Path.Combine(root, "sampling"))
{
    MetricsPort = 0,
    Environment = { ["Formation__Capacity__VCpus"] = $"{vmCount}" },
};
await using var anchor = await SiloProcess.StartAsync(off);
await using var measured = await SiloProcess.StartAsync(on);
await using var samplingOnly = await SiloProcess.StartAsync(sampling);
SiloProcess[] silos = [anchor, measured, samplingOnly];
try
{
    foreach (var silo in silos)
    {
        await CreateVmsAsync(silo, vmCount);
    }

    using var http = new HttpClient();
    await RunAsync(warmup); // the same load, not measured
    var before = silos.Select(s => ProcessCpu.Seconds(s.Pid)).ToArray();
    var scrapes = await RunAsync(seconds);
    var used = silos.Select((s, i) => ProcessCpu.Seconds(s.Pid) - before[i]).ToArray();
    var cost = (used[1] - used[0]) / seconds;
    Console.WriteLine($"  anchor: collection off           {used[0],8:0.000} s CPU   {used[0] / seconds * 100,6:0.00} % of one core");
    Console.WriteLine($"  sampling, no endpoint            {used[2],8:0.000} s CPU   {used[2] / seconds * 100,6:0.00} % of one core   {used[2] / Math.Max(used[0], 1e-6),5:0.00} x anchor");
    Console.WriteLine($"  sampling + /metrics ({scrapes} scrapes) {used[1],8:0.000} s CPU   {used[1] / seconds * 100,6:0.00} % of one core   {used[1] / Math.Max(used[0], 1e-6),5:0.00} x anchor");
    Console.WriteLine($"  collection cost (on - anchor)    {cost * 100,8:0.00} % of one core   (goal < 1 %: {(cost < 0.01 ? "met" : "NOT met")})");

    // Prometheus' default: a scrape every 10 s.
    async Task<int> RunAsync(int window)
    {
        var count = 0;
        var until = DateTime.UtcNow.AddSeconds(window);
        while (DateTime.UtcNow < until)
        {
            count += (await http.GetStringAsync(on.MetricsUrl)).Length > 0 ? 1 : 0;
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, Math.Max(0.1, (until - DateTime.UtcNow).TotalSeconds))));
        }

        return count;
    }
}
finally
{
    foreach (var silo in silos)
    {
        await silo.StopAsync();
    }
}

var (cpuMs, wallMs) = SamplerLoop.Run(root, vmCount, rounds: 50);
Console.WriteLine($"-- one sample of the node and {vmCount} real processes: {cpuMs:0.00} ms CPU, {wallMs:0.00} ms wall; " +
    $"at one sample per 10 s: {cpuMs / 10_000 * 100:0.000} % of one core");
Directory.Delete(root, recursive: true);

static async Task CreateVmsAsync(SiloProcess silo, int count)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.UseOrleansClient(c =>
    {
        c.UseLoopbackClientAddress();
        c.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("formation", "formation"));
        c.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, silo.Options.GatewayPort));
        // Every silo admits only clients with its CA's credential, and every call carries a proof.
        var credential = Formation.Identity.ClusterCredential.Load(Path.Combine(silo.Options.DataDirectory, "identity", "admin.credential"));
        Formation.Silo.Identity.ClusterTls.UseFormationTls(c, credential);
        c.AddOutgoingGrainCallFilter(new Formation.Identity.ProofCallFilter(new Formation.Identity.ProofSigner(credential)));
    });
    using var host = builder.Build();
    await host.StartAsync();
    var catalog = host.Services.GetRequiredService<IClusterClient>().GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
    for (var i = 0; i < count; i++)
    {
        await catalog.CreateVmAsync(new VmSpec($"bench-{i}", 1, 64, 1, null, silo.Options.NodeId, RequestId: Guid.NewGuid().ToString("N")));
    }

    await host.StopAsync();
}

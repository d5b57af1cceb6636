using System.Globalization;
using Formation.Bench.P2p;

// Formation.P2p against js-libp2p 3 (the anchor), measured in the same run on the same machine:
//   1. convergence of N nodes bootstrapped from one (every routing table holds all others), C# vs js (goal ≤ js);
//   2. one Noise+yamux stream C#↔C# vs js↔js on loopback (goal ≥ 1.0×);
//   3. memory per idle connection (both ends, after identify), C# vs js.
// Usage: dotnet run -c Release --project bench/P2p -- [--nodes 20] [--bytes 268435456] [--connections 100]
var nodes = 20;
long bytes = 256L * 1024 * 1024;
var connections = 100;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--nodes": nodes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--bytes": bytes = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--connections": connections = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

Console.WriteLine($"{Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}");

var js = await JsBench.RunAsync("convergence", nodes);
var cs = await CSharpBench.ConvergenceAsync(nodes);
var jsMs = js["ms"]!.GetValue<double>();
Console.WriteLine($"convergence, {nodes} nodes from one bootstrap: C# {cs.Ms:F0} ms (converged {cs.Converged}, min table {cs.MinTable}), " +
    $"js {jsMs:F0} ms (converged {js["converged"]}, min table {js["minTable"]}); C#/js time " +
    (js["converged"]!.GetValue<bool>() ? "= " : "< (js gave up at 120 s, so this is a bound) ") + $"{cs.Ms / jsMs:F2} (goal ≤ 1.00)");

js = await JsBench.RunAsync("throughput", bytes);
var tp = await CSharpBench.ThroughputAsync(bytes);
var jsTp = js["mibPerSecond"]!.GetValue<double>();
Console.WriteLine($"one stream, Noise+yamux, {bytes / 1048576} MiB x3 (median): C#↔C# {tp.Median:F0} MiB/s [{string.Join(", ", tp.Runs.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}], " +
    $"js↔js {jsTp:F0} MiB/s; C#/js = {tp.Median / jsTp:F2}x (goal ≥ 1.00)");

js = await JsBench.RunAsync("memory", connections);
var mem = await CSharpBench.MemoryAsync(connections);
var jsHeap = js["heapBytesPerConnection"]!.GetValue<double>();
var jsRss = js["rssBytesPerConnection"]!.GetValue<double>();
Console.WriteLine($"memory per idle connection ({connections}, both ends): C# heap {mem.Heap / 1024:F1} KiB, RSS {mem.Rss / 1024:F1} KiB; " +
    $"js heap {jsHeap / 1024:F1} KiB, RSS {jsRss / 1024:F1} KiB; C#/js heap = {mem.Heap / jsHeap:F2}, RSS = {mem.Rss / jsRss:F2}");
return cs.Converged ? 0 : 1;

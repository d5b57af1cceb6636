using System.Diagnostics;
using Formation.Silo.Pack;

namespace Formation.Bench.Pack;

/// <summary>
/// The build sandbox's fixed cost per sandboxed process, without a build around it: one <see cref="BuildSandbox"/> run
/// of an empty script with its step cgroup (made, entered, killed, removed) and without it
/// (<see cref="PackOptions.BenchmarkWithoutSandbox"/>), alternating. Both sides pay the same namespaces, uid maps and
/// processes, so the difference is the cgroup's share of every step, base, guest configuration and assembly.
/// </summary>
internal static class StepCost
{
    public static async Task<int> RunAsync(int repeat)
    {
        Environment.SetEnvironmentVariable(PackOptions.BenchmarkEnvironmentVariable, "1");
        var root = Directory.CreateTempSubdirectory("formation-pack-bench-step-").FullName;
        try
        {
            var on = new List<TimeSpan>();
            var off = new List<TimeSpan>();
            for (var i = 0; i < repeat; i++)
            {
                foreach (var sandboxOff in i % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var scratch = Directory.CreateDirectory(Path.Combine(root, $"{Environment.ProcessId}-step-{i}-{sandboxOff}")).FullName;
                    var sandbox = new BuildSandbox(new PackOptions { DataDirectory = root, BenchmarkWithoutSandbox = sandboxOff });
                    var watch = Stopwatch.StartNew();
                    var result = await sandbox.RunAsync(scratch, "exit 0", [], null, null, null, null, CancellationToken.None);
                    (sandboxOff ? off : on).Add(watch.Elapsed);
                    if (result.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"the sandboxed 'exit 0' failed: {string.Join(" | ", result.OutputTail)}");
                    }
                }
            }

            var medianOn = on.Order().ElementAt(on.Count / 2);
            var medianOff = off.Order().ElementAt(off.Count / 2);
            Console.WriteLine($"one sandboxed process, {repeat} each, load {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine($"  median: cgroup {medianOn.TotalMilliseconds:0.0} ms, without {medianOff.TotalMilliseconds:0.0} ms, cost {(medianOn - medianOff).TotalMilliseconds:0.0} ms");
            Console.WriteLine($"  best:   cgroup {on.Min().TotalMilliseconds:0.0} ms, without {off.Min().TotalMilliseconds:0.0} ms, cost {(on.Min() - off.Min()).TotalMilliseconds:0.0} ms");
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

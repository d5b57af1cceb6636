using System.Collections.Concurrent;
using System.Diagnostics;
using Formation.Testing;

namespace Formation.Bench.FrontDoor;

/// <summary>W workers, each running <c>form vm create</c> N times in a row as separate processes; what came back.</summary>
public static class CreateLoad
{
    public sealed record Outcome(int Attempts, int Succeeded, IReadOnlyList<double> LatenciesMs, TimeSpan Wall, IReadOnlyList<string> Failures)
    {
        public double Percentile(double p)
        {
            var sorted = LatenciesMs.Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        }

        public double CreatesPerSecond => Succeeded / Wall.TotalSeconds;
    }

    public static async Task<Outcome> RunAsync(BenchCluster cluster, string label, int workers, int creates, IReadOnlyDictionary<string, string> environment)
    {
        var latencies = new ConcurrentBag<double>();
        var failures = new ConcurrentBag<string>();
        var succeeded = 0;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < creates; i++)
            {
                var run = await FormProcess.RunAsync(
                    ["vm", "create", "--name", $"{label}-w{w}-{i}", "--vcpus", "1", "--memory", "64", "--disk", "0", "--gateway", cluster.GatewaysFrom(w)],
                    environment);
                latencies.Add(run.Elapsed.TotalMilliseconds);
                if (run.ExitCode == 0)
                {
                    Interlocked.Increment(ref succeeded);
                }
                else
                {
                    failures.Add($"{label}-w{w}-{i}: exit {run.ExitCode}: {run.Error.Trim()}");
                }
            }
        })));
        return new Outcome(workers * creates, succeeded, [.. latencies], wall.Elapsed, [.. failures]);
    }
}

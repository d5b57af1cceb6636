using System.Diagnostics;
using Formation.Silo.Pack;

namespace Formation.Bench.Pack;

/// <summary>
/// The build sandbox's cost: each case built with the sandbox (per-step cgroup, INSTALL's network namespace and
/// egress link, the build disk) and without it (<see cref="PackOptions.BenchmarkWithoutSandbox"/>; the user namespace
/// stays in both, layers are stored with shifted owners), alternating on and off so drift hits both alike.
/// </summary>
internal static class SandboxCost
{
    public static async Task<int> RunAsync(string context, string shared, bool skipDebian, int repeat, TimeSpan copyAnchor)
    {
        // The switch is refused unless this process says it is a benchmark (the silo refuses it always).
        Environment.SetEnvironmentVariable(PackOptions.BenchmarkEnvironmentVariable, "1");
        // Medians, and the best of the samples: on a shared machine other load only ever adds time, so the best
        // of each side is the closest to its own cost and their ratio the sandbox's fixed cost.
        Console.WriteLine($"{"case (median of " + repeat + ")",-40} {"sandbox",10} {"off",10} {"on/off",7} {"on x cp -r",11} {"best on",10} {"best off",10} {"on/off",7}");
        var root = Path.Combine(Path.GetTempPath(), "formation-pack-bench-cost-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Tiny cold: a fresh data directory per build (base included).
            var n = 0;
            await CompareAsync(context, "tiny cold (fresh data dir)", repeat, copyAnchor, off => Options(Path.Combine(root, $"cold-{n++}"), off), Examples.Tiny);
            await CompareAsync(context, "tiny changed last RUN", repeat, copyAnchor, off => Options(Path.Combine(root, off ? "tiny-off" : "tiny-on"), off),
                Examples.Tiny.Replace("built", "built {nonce}"));
            if (!skipDebian)
            {
                await CompareAsync(context, "debian changed last RUN", repeat, copyAnchor, off => Options(shared, off),
                    Examples.Debian.Replace("RUN chmod 0644 /app/server.py", "RUN chmod 0644 /app/server.py && echo {nonce} > /dev/null"));
                await CompareAsync(context, "debian cold image (INSTALL python3)", Math.Max(1, repeat / 2), copyAnchor, off => Options(shared, off),
                    Examples.Debian.Replace("INSTALL python3", "RUN echo {nonce}\nINSTALL python3"));
            }
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }

        return 0;
    }

    private static PackOptions Options(string data, bool off) => new() { DataDirectory = data, BenchmarkWithoutSandbox = off };

    private static async Task CompareAsync(string context, string name, int repeat, TimeSpan copyAnchor, Func<bool, PackOptions> options, string formfile)
    {
        var on = new List<TimeSpan>();
        var off = new List<TimeSpan>();
        for (var i = 0; i < repeat; i++)
        {
            foreach (var sandboxOff in i % 2 == 0 ? new[] { false, true } : [true, false])
            {
                (sandboxOff ? off : on).Add(await BuildAsync(options(sandboxOff), formfile, context));
            }
        }

        var medianOn = Median(on);
        var medianOff = Median(off);
        Console.WriteLine($"{name,-40} {Ms(medianOn),10} {Ms(medianOff),10} {medianOn / medianOff,7:0.00} {medianOn / copyAnchor,11:0.0} {Ms(on.Min()),10} {Ms(off.Min()),10} {on.Min() / off.Min(),7:0.00}");
    }

    private static async Task<TimeSpan> BuildAsync(PackOptions options, string formfile, string context)
    {
        var text = formfile.Replace("{nonce}", Guid.NewGuid().ToString("N"), StringComparison.Ordinal);
        var watch = Stopwatch.StartNew();
        await new ImageBuilder(options, new ImageStore(options)).BuildAsync(new BuildRequest(text, ContextDirectory: context));
        return watch.Elapsed;
    }

    private static TimeSpan Median(List<TimeSpan> samples) => samples.Order().ElementAt(samples.Count / 2);

    private static string Ms(TimeSpan t) => t.TotalSeconds >= 10 ? $"{t.TotalSeconds:0.0} s" : $"{t.TotalMilliseconds:0} ms";
}

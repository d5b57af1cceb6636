namespace Formation.Bench.FrontDoor;

/// <summary>
/// CPU time (user + system, from /proc) the parts of a create use over one phase of the bench: the silos, PostgreSQL
/// (the postmaster, its live backends and the ones it has reaped) and the <c>form</c> processes (this process's reaped
/// children: every <c>form</c> run is waited for before the phase ends, the silos and PostgreSQL are not reaped here).
/// Latency on a shared 2-core machine moves with whatever else runs; CPU per create does not, so it is the figure to
/// compare changes by.
/// </summary>
public sealed class CpuMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux this runs on

    private readonly BenchCluster _cluster;
    private readonly Sample _start;

    private CpuMeter(BenchCluster cluster)
    {
        _cluster = cluster;
        _start = Take(cluster);
    }

    public static CpuMeter Start(BenchCluster cluster) => new(cluster);

    /// <summary>CPU milliseconds per create since <see cref="Start"/>, by part.</summary>
    public string PerCreate(int creates)
    {
        var (silos, postgres, form) = Since();
        return $"cpu/create {(silos + postgres + form) * 1000 / creates,6:0.0} ms (silos {silos * 1000 / creates:0.0}, postgres {postgres * 1000 / creates:0.0}, form {form * 1000 / creates:0.0})";
    }

    /// <summary>
    /// Waits until the silos and PostgreSQL together use less than a quarter of a core over 2 s (a cluster that has
    /// finished starting), at most <paramref name="patience"/>; says how long it took and what they used last.
    /// </summary>
    public static async Task<string> SettleAsync(BenchCluster cluster, TimeSpan patience)
    {
        var window = TimeSpan.FromSeconds(2);
        var started = DateTime.UtcNow;
        while (true)
        {
            var meter = Start(cluster);
            await Task.Delay(window);
            var (silos, postgres, _) = meter.Since();
            var perSecond = (silos + postgres) * 1000 / window.TotalSeconds;
            var waited = DateTime.UtcNow - started;
            if (perSecond < 250 || waited >= patience)
            {
                return $"{(perSecond < 250 ? "quiet" : "NOT quiet")} after {waited.TotalSeconds:0} s (cluster {perSecond:0} ms/s)";
            }
        }
    }

    /// <summary>CPU milliseconds per second of wall time since <see cref="Start"/>: what the cluster costs with nothing to do.</summary>
    public string PerSecond(TimeSpan wall)
    {
        var (silos, postgres, _) = Since();
        return $"cpu {(silos + postgres) * 1000 / wall.TotalSeconds,6:0.0} ms/s (silos {silos * 1000 / wall.TotalSeconds:0.0}, postgres {postgres * 1000 / wall.TotalSeconds:0.0})";
    }

    private (double Silos, double Postgres, double Form) Since()
    {
        var end = Take(_cluster);
        return (end.Silos - _start.Silos, end.Postgres - _start.Postgres, end.Children - _start.Children);
    }

    private sealed record Sample(double Silos, double Postgres, double Children);

    private static Sample Take(BenchCluster cluster)
    {
        var silos = cluster.Silos.Sum(s => Times(s.Pid).Own);
        var postgres = 0.0;
        if (cluster.PostmasterPid is { } postmaster)
        {
            var (own, reaped) = Times(postmaster);
            postgres = own + reaped + ChildrenOf(postmaster).Sum(pid => Times(pid).Own);
        }

        return new Sample(silos, postgres, Times(Environment.ProcessId).Reaped);
    }

    /// <summary>utime+stime and cutime+cstime of <paramref name="pid"/> in seconds; zeros for a process that has gone.</summary>
    private static (double Own, double Reaped) Times(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return (0, 0);
        }

        // After the ')' that ends the command name, field 3 (state) is index 0: utime 11, stime 12, cutime 13, cstime 14.
        var f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return ((long.Parse(f[11]) + long.Parse(f[12])) / TicksPerSecond, (long.Parse(f[13]) + long.Parse(f[14])) / TicksPerSecond);
    }

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            // Field 4 (ppid) is index 1 after the ')'.
            if (int.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[1]) == parent)
            {
                yield return pid;
            }
        }
    }
}

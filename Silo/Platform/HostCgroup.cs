using System.Globalization;

namespace Formation.Silo.Platform;

/// <summary>
/// One cgroup holding a sandboxed process tree, with <c>pids.max</c>, <c>memory.max</c> and <c>cpu.max</c>. Uses the
/// unified (v2) hierarchy when it carries the controllers, else the v1 controller hierarchies (pids, memory, cpu) —
/// a host booted with v1 gets the same limits under their v1 names, and where it mounts cpuacct apart from cpu the
/// process joins that hierarchy too, so its CPU time can be read from its own cgroup (the metrics do). Dispose kills
/// what is left and removes it.
/// </summary>
public sealed class HostCgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private static readonly string[] V1Controllers = ["pids", "memory", "cpu"];

    /// <summary>v1 hierarchies that set no limit but account (cpuacct: CPU time), joined where mounted on their own.</summary>
    private static readonly string[] V1Accounting = ["cpuacct"];

    private readonly bool _unified;
    private readonly List<string> _directories;
    private readonly CgroupLimits _limits;

    private HostCgroup(bool unified, List<string> directories, CgroupLimits limits)
    {
        _unified = unified;
        _directories = directories;
        _limits = limits;
    }

    /// <summary>Host shell script that enters the cgroups given as arguments, then execs the rest of its arguments.</summary>
    private const string EnterScript = """
        set -eu
        n=$1; shift
        while [ "$n" -gt 0 ]; do echo $$ > "$1"; shift; n=$((n - 1)); done
        exec "$@"
        """;

    /// <summary>The <c>cgroup.procs</c> files a process writes its pid into to enter the cgroup (one per hierarchy).</summary>
    public IReadOnlyList<string> ProcsFiles => [.. _directories.Select(d => Path.Combine(d, "cgroup.procs"))];

    /// <summary>
    /// Arguments for <c>/bin/sh</c> that run <paramref name="fileName"/> inside this cgroup from its first instruction
    /// (the shell enters the cgroup, then execs), so no child it forks is ever outside the limits.
    /// </summary>
    public IReadOnlyList<string> EnterArguments(string fileName, IEnumerable<string> arguments) =>
        ["-c", EnterScript, "formation-enter", ProcsFiles.Count.ToString(CultureInfo.InvariantCulture), .. ProcsFiles, fileName, .. arguments];

    /// <summary>
    /// Moves process <paramref name="pid"/> into this cgroup (every hierarchy). Its later children are born inside;
    /// those it already has are not moved, so call it while the process is held before it forks or runs anything
    /// (the build sandbox's child waits for its go-ahead) — one write per hierarchy instead of a shell per process.
    /// </summary>
    public void Enter(int pid)
    {
        var text = pid.ToString(CultureInfo.InvariantCulture);
        foreach (var procs in ProcsFiles)
        {
            File.WriteAllText(procs, text);
        }
    }

    /// <summary>
    /// Kills every process still in the cgroup and waits (bounded) until none is listed, then removes the now empty
    /// directories off the caller's path: removing a memory cgroup takes the kernel milliseconds (v1 more), and an
    /// empty cgroup limits nothing, so a short step need not wait for it (<see cref="Dispose"/> waits).
    /// </summary>
    public void KillAndRemoveLater()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_directories.Any(d => ReadPids(d).Count > 0) && DateTime.UtcNow < deadline)
        {
            foreach (var directory in _directories)
            {
                Kill(directory);
            }

            Thread.Sleep(5);
        }

        var left = new List<string>(_directories);
        _ = Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 200 && left.Count > 0; attempt++)
            {
                left.RemoveAll(TryDelete);
                if (left.Count > 0)
                {
                    await Task.Delay(50);
                }
            }
        });
    }

    /// <summary>Removes the (empty) cgroup <paramref name="parent"/>/<paramref name="name"/> if it exists.</summary>
    public static void Remove(string parent, string name)
    {
        var busy = new List<string>();
        foreach (var root in new[] { Root }.Concat(V1Controllers.Concat(V1Accounting).Select(c => Path.Combine(Root, c))))
        {
            var directory = Path.Combine(root, parent, name);
            if (!TryDelete(directory))
            {
                busy.Add(directory);
            }
        }

        if (busy.Count > 0)
        {
            // A process that has just been reaped can still count as the cgroup's member for a moment (the kernel
            // empties it asynchronously): try again for a while instead of leaving an empty cgroup behind.
            _ = Task.Run(async () =>
            {
                for (var attempt = 0; attempt < 100 && busy.Count > 0; attempt++)
                {
                    await Task.Delay(100);
                    busy.RemoveAll(TryDelete);
                }
            });
        }
    }

    /// <summary>Removes an empty cgroup directory; false while it still has processes.</summary>
    private static bool TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory);
            }

            return true;
        }
        catch (IOException)
        {
            return false; // still has processes
        }
    }

    /// <summary>True when this host offers the pids, memory and cpu controllers (v2 or v1).</summary>
    public static bool IsAvailable => UnifiedHasControllers() || V1Controllers.All(c => File.Exists(Path.Combine(Root, c, "cgroup.procs")));

    /// <summary>Creates <paramref name="parent"/>/<paramref name="name"/> with <paramref name="limits"/>.</summary>
    public static HostCgroup Create(string parent, string name, CgroupLimits limits)
    {
        if (UnifiedHasControllers())
        {
            EnableControllers(Root);
            var parentDirectory = Path.Combine(Root, parent);
            Directory.CreateDirectory(parentDirectory);
            EnableControllers(parentDirectory);
            var directory = Path.Combine(parentDirectory, name);
            Directory.CreateDirectory(directory);
            var cgroup = new HostCgroup(true, [directory], limits);
            Write(directory, "pids.max", limits.PidsMax.ToString(CultureInfo.InvariantCulture));
            Write(directory, "memory.max", limits.MemoryMaxBytes.ToString(CultureInfo.InvariantCulture));
            Write(directory, "memory.swap.max", "0", optional: true);
            Write(directory, "cpu.max", $"{Quota(limits.Cpus)} 100000");
            return cgroup;
        }

        if (!IsAvailable)
        {
            throw new InvalidOperationException(
                $"this host has no cgroup with the pids, memory and cpu controllers under {Root}; mount cgroup2 (or the v1 controllers) so sandboxes can be limited");
        }

        var directories = V1Controllers.Concat(SeparateV1Accounting()).Select(c => Path.Combine(Root, c, parent, name)).ToList();
        foreach (var directory in directories)
        {
            Directory.CreateDirectory(directory);
        }

        var v1 = new HostCgroup(false, directories, limits);
        Write(directories[0], "pids.max", limits.PidsMax.ToString(CultureInfo.InvariantCulture));
        Write(directories[1], "memory.limit_in_bytes", limits.MemoryMaxBytes.ToString(CultureInfo.InvariantCulture));
        Write(directories[1], "memory.memsw.limit_in_bytes", limits.MemoryMaxBytes.ToString(CultureInfo.InvariantCulture), optional: true);
        Write(directories[2], "cpu.cfs_period_us", "100000");
        Write(directories[2], "cpu.cfs_quota_us", Quota(limits.Cpus).ToString(CultureInfo.InvariantCulture));
        return v1;
    }

    /// <summary>The limit the processes ran into, in words naming it, or null when none was hit.</summary>
    public string? ExceededLimit()
    {
        var pids = Path.Combine(_directories[0], "pids.events");
        if (EventCount(pids, "max") > 0)
        {
            return $"pids.max ({_limits.PidsMax} processes)";
        }

        var memoryDirectory = _unified ? _directories[0] : _directories[1];
        var oomKills = _unified
            ? EventCount(Path.Combine(memoryDirectory, "memory.events"), "oom_kill")
            : EventCount(Path.Combine(memoryDirectory, "memory.oom_control"), "oom_kill");
        return oomKills > 0 ? $"memory.max ({_limits.MemoryMaxBytes / (1024 * 1024)} MiB)" : null;
    }

    /// <summary>Kills every process still in the cgroup and removes it, waiting (bounded) until the kernel let them go.</summary>
    public void Dispose()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        foreach (var directory in _directories)
        {
            while (Directory.Exists(directory))
            {
                Kill(directory);
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(20); // the kernel releases exited tasks asynchronously; retried until the deadline
                }
                catch (IOException)
                {
                    break; // left for the next start's clean-up; the processes are dead or dying
                }
            }
        }
    }

    /// <summary>Kills the processes of one hierarchy's directory (v2: <c>cgroup.kill</c>, else each listed pid).</summary>
    private void Kill(string directory)
    {
        if (_unified && File.Exists(Path.Combine(directory, "cgroup.kill")))
        {
            Write(directory, "cgroup.kill", "1", optional: true);
            return;
        }

        foreach (var pid in ReadPids(directory))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    private static List<int> ReadPids(string directory)
    {
        try
        {
            return [.. File.ReadAllLines(Path.Combine(directory, "cgroup.procs")).Select(l => int.Parse(l, CultureInfo.InvariantCulture))];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static long EventCount(string file, string key)
    {
        if (!File.Exists(file))
        {
            return 0;
        }

        foreach (var line in File.ReadAllLines(file))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var count))
            {
                return count;
            }
        }

        return 0;
    }

    /// <summary>
    /// The accounting hierarchies this host mounts apart from the limiting ones: where cpuacct is mounted together with
    /// cpu (<c>cpu,cpuacct</c>, both names linking to it) the cpu directory already is the cpuacct one.
    /// </summary>
    private static IEnumerable<string> SeparateV1Accounting()
    {
        var limiting = V1Controllers.Select(c => RealPath(Path.Combine(Root, c))).ToHashSet(StringComparer.Ordinal);
        return V1Accounting.Where(c => File.Exists(Path.Combine(Root, c, "cgroup.procs")) && !limiting.Contains(RealPath(Path.Combine(Root, c))));
    }

    private static string RealPath(string directory) => new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? directory;

    private static long Quota(double cpus) => Math.Max(1000, (long)(cpus * 100000));

    private static bool UnifiedHasControllers()
    {
        var controllers = Path.Combine(Root, "cgroup.controllers");
        if (!File.Exists(controllers))
        {
            return false;
        }

        var available = File.ReadAllText(controllers).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return V1Controllers.All(available.Contains);
    }

    private static void EnableControllers(string directory) =>
        Write(directory, "cgroup.subtree_control", "+pids +memory +cpu");

    private static void Write(string directory, string file, string value, bool optional = false)
    {
        var path = Path.Combine(directory, file);
        if (optional && !File.Exists(path))
        {
            return;
        }

        File.WriteAllText(path, value);
    }
}

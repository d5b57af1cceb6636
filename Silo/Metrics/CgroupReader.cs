using System.Globalization;

namespace Formation.Silo.Metrics;

/// <summary>
/// Reads a process's CPU use and block I/O from its cgroup: <c>cpu.stat</c> of the unified (v2) hierarchy, or <c>cpuacct.usage</c> and
/// <c>cpuacct.stat</c> of the v1 cpuacct hierarchy (mounted alone or together with cpu). Only a cgroup of the VM's own
/// (its last path segment is the VM id) counts: a VMM left in the silo's or the root cgroup would report what others used.
/// </summary>
public sealed class CgroupReader(string root = "/sys/fs/cgroup")
{
    /// <summary>The lines of <c>/proc/PID/cgroup</c> (<c>id:controllers:path</c>; the v2 line is <c>0::path</c>).</summary>
    public static IReadOnlyList<CgroupMembership> ParseMembership(string text)
    {
        var result = new List<CgroupMembership>();
        foreach (var line in ProcParsers.Lines(text))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var id))
            {
                throw new FormatException($"/proc/PID/cgroup: '{line}' is not id:controllers:path.");
            }

            var controllers = parts[1].Length == 0 ? [] : parts[1].Split(',');
            result.Add(new CgroupMembership(id, controllers, parts[2]));
        }

        return result;
    }

    /// <summary>v2 <c>cpu.stat</c>: <c>usage_usec</c>, <c>user_usec</c>, <c>system_usec</c>.</summary>
    public static CgroupCpu ParseV2CpuStat(string text)
    {
        var values = ProcParsers.KeyValues(text);
        if (!values.TryGetValue("usage_usec", out var usage))
        {
            throw new FormatException("cpu.stat has no usage_usec.");
        }

        return new CgroupCpu(usage / 1e6, values.GetValueOrDefault("user_usec") / 1e6, values.GetValueOrDefault("system_usec") / 1e6);
    }

    /// <summary>v1 <c>cpuacct.usage</c> (nanoseconds) with <c>cpuacct.stat</c> (<c>user</c>/<c>system</c> in clock ticks).</summary>
    public static CgroupCpu ParseV1Cpuacct(string usage, string? stat)
    {
        var nanoseconds = ProcParsers.Long(usage.Trim(), "cpuacct.usage");
        var split = stat is null ? [] : ProcParsers.KeyValues(stat);
        return new CgroupCpu(nanoseconds / 1e9, split.GetValueOrDefault("user") / ProcParsers.TicksPerSecond,
            split.GetValueOrDefault("system") / ProcParsers.TicksPerSecond);
    }

    /// <summary>v2 <c>io.stat</c>: per device <c>MAJ:MIN rbytes=… wbytes=… rios=… wios=…</c>, summed over devices.</summary>
    public static DiskCounters ParseV2IoStat(string text)
    {
        long rbytes = 0, wbytes = 0, rios = 0, wios = 0;
        foreach (var line in ProcParsers.Lines(text))
        {
            foreach (var field in ProcParsers.Fields(line).Skip(1))
            {
                var eq = field.IndexOf('=');
                if (eq <= 0 || !long.TryParse(field.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    continue;
                }

                switch (field[..eq])
                {
                    case "rbytes": rbytes += value; break;
                    case "wbytes": wbytes += value; break;
                    case "rios": rios += value; break;
                    case "wios": wios += value; break;
                }
            }
        }

        return new DiskCounters(rbytes, wbytes, rios, wios);
    }

    /// <summary>
    /// v1 <c>blkio.throttle.io_service_bytes</c> and <c>blkio.throttle.io_serviced</c>: per device <c>MAJ:MIN Read N</c>
    /// and <c>MAJ:MIN Write N</c> lines (and a closing <c>Total N</c>), summed over devices.
    /// </summary>
    public static DiskCounters ParseV1Blkio(string serviceBytes, string serviced)
    {
        var (rbytes, wbytes) = ReadWrite(serviceBytes);
        var (rios, wios) = ReadWrite(serviced);
        return new DiskCounters(rbytes, wbytes, rios, wios);

        static (long Read, long Write) ReadWrite(string text)
        {
            long read = 0, write = 0;
            foreach (var line in ProcParsers.Lines(text))
            {
                var fields = ProcParsers.Fields(line);
                if (fields.Length == 3 && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    read += fields[1] == "Read" ? value : 0;
                    write += fields[1] == "Write" ? value : 0;
                }
            }

            return (read, write);
        }
    }

    /// <summary>
    /// The block I/O of the cgroup named <paramref name="owner"/> that <paramref name="membership"/> puts the process in
    /// (v1 <c>blkio</c> or v2 <c>io.stat</c>), or null when it has none of its own with I/O accounting.
    /// </summary>
    public DiskCounters? ReadIo(IReadOnlyList<CgroupMembership> membership, string owner)
    {
        foreach (var m in membership.Where(m => m.Controllers.Contains("blkio") && Owns(m.Path, owner)))
        {
            var directory = Path.Combine(root, string.Join(',', m.Controllers)) + m.Path;
            if (TryRead(Path.Combine(directory, "blkio.throttle.io_service_bytes")) is { } bytes &&
                TryRead(Path.Combine(directory, "blkio.throttle.io_serviced")) is { } ops)
            {
                return ParseV1Blkio(bytes, ops);
            }
        }

        foreach (var m in membership.Where(m => m.Hierarchy == 0 && m.Controllers.Count == 0 && Owns(m.Path, owner)))
        {
            foreach (var mount in new[] { root, Path.Combine(root, "unified") })
            {
                if (TryRead(mount + m.Path + "/io.stat") is { } text)
                {
                    return ParseV2IoStat(text);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The CPU use of the cgroup named <paramref name="owner"/> that <paramref name="membership"/> puts the process in,
    /// or null with the reason when there is none to read (no such cgroup, or its accounting files are missing).
    /// </summary>
    public CgroupCpu? ReadCpu(IReadOnlyList<CgroupMembership> membership, string owner, out string? missing)
    {
        foreach (var m in membership.Where(m => m.Controllers.Contains("cpuacct")))
        {
            if (!Owns(m.Path, owner))
            {
                continue;
            }

            foreach (var mount in new[] { string.Join(',', m.Controllers), "cpuacct", "cpu,cpuacct", "cpuacct,cpu" }.Distinct())
            {
                var directory = Path.Combine(root, mount) + m.Path;
                var usage = Path.Combine(directory, "cpuacct.usage");
                if (TryRead(usage) is { } text)
                {
                    missing = null;
                    return ParseV1Cpuacct(text, TryRead(Path.Combine(directory, "cpuacct.stat")));
                }
            }
        }

        foreach (var m in membership.Where(m => m.Hierarchy == 0 && m.Controllers.Count == 0))
        {
            if (!Owns(m.Path, owner))
            {
                continue;
            }

            // The unified hierarchy is at the root (v2 only) or at root/unified (hybrid).
            foreach (var mount in new[] { root, Path.Combine(root, "unified") })
            {
                if (TryRead(mount + m.Path + "/cpu.stat") is { } text && text.Contains("usage_usec", StringComparison.Ordinal))
                {
                    missing = null;
                    return ParseV2CpuStat(text);
                }
            }
        }

        missing = membership.Any(m => Owns(m.Path, owner))
            ? $"its cgroup has no CPU accounting file (cpu.stat with usage_usec, or cpuacct.usage) under {root}"
            : $"it is in no cgroup of its own (none named {owner}) with CPU accounting";
        return null;
    }

    private static bool Owns(string path, string owner) =>
        path.Length > 1 && path.TrimEnd('/').EndsWith("/" + owner, StringComparison.Ordinal);

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

using System.Globalization;

namespace Formation.Silo.Metrics;

/// <summary>
/// Parsers of the <c>/proc</c> files the node's metrics come from. Pure functions of the file's text, so each is tested
/// against fixture files; a file that does not have the expected shape is a <see cref="FormatException"/> naming it.
/// </summary>
public static class ProcParsers
{
    /// <summary>Clock ticks per second of every <c>/proc</c> time field (USER_HZ: 100 on every Linux ABI).</summary>
    public const double TicksPerSecond = 100;

    /// <summary>The aggregate <c>cpu</c> line of <c>/proc/stat</c> and how many <c>cpuN</c> lines follow it.</summary>
    public static (CpuTimes Times, int CpuCount) ParseStat(string text)
    {
        CpuTimes? total = null;
        var count = 0;
        foreach (var line in Lines(text))
        {
            if (line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                var f = Fields(line);
                if (f.Length < 5)
                {
                    throw new FormatException($"/proc/stat: the cpu line has {f.Length - 1} fields, expected at least 4: '{line}'");
                }

                double Field(int i) => i < f.Length ? Long(f[i], "/proc/stat") / TicksPerSecond : 0;

                // Guest time (fields 9 and 10) is already counted in user and nice.
                total = new CpuTimes(Field(1), Field(2), Field(3), Field(4), Field(5), Field(6), Field(7), Field(8));
            }
            else if (line.StartsWith("cpu", StringComparison.Ordinal) && line.Length > 3 && char.IsAsciiDigit(line[3]))
            {
                count++;
            }
        }

        return (total ?? throw new FormatException("/proc/stat has no aggregate 'cpu' line."), count);
    }

    public static LoadAverage ParseLoadAverage(string text)
    {
        var f = Fields(text.Trim());
        if (f.Length < 3)
        {
            throw new FormatException($"/proc/loadavg: expected three averages, got '{text.Trim()}'");
        }

        return new LoadAverage(Double(f[0], "/proc/loadavg"), Double(f[1], "/proc/loadavg"), Double(f[2], "/proc/loadavg"));
    }

    /// <summary><c>/proc/meminfo</c>; MemAvailable (Linux 3.14+) falls back to free + buffers + cached on older kernels.</summary>
    public static MemoryInfo ParseMemInfo(string text)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in Lines(text))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var f = Fields(line[(colon + 1)..]);
            if (f.Length >= 1 && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                values[line[..colon]] = f.Length > 1 && f[1] == "kB" ? value * 1024 : value;
            }
        }

        long Get(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"/proc/meminfo has no {key}.");
        var free = Get("MemFree");
        var buffers = values.GetValueOrDefault("Buffers");
        var cached = values.GetValueOrDefault("Cached");
        var available = values.TryGetValue("MemAvailable", out var a) ? a : free + buffers + cached;
        return new MemoryInfo(Get("MemTotal"), available, free, buffers, cached);
    }

    /// <summary>Every interface of <c>/proc/net/dev</c> (two header lines, then <c>name: 16 counters</c>).</summary>
    public static IReadOnlyList<InterfaceCounters> ParseNetDev(string text)
    {
        var result = new List<InterfaceCounters>();
        foreach (var line in Lines(text))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || line.Contains('|'))
            {
                continue; // the two header lines
            }

            var name = line[..colon].Trim();
            var f = Fields(line[(colon + 1)..]);
            if (f.Length < 16)
            {
                throw new FormatException($"/proc/net/dev: interface {name} has {f.Length} counters, expected 16.");
            }

            long C(int i) => Long(f[i], "/proc/net/dev");
            result.Add(new InterfaceCounters(name, C(0), C(1), C(2), C(3), C(8), C(9), C(10), C(11)));
        }

        return result;
    }

    /// <summary>
    /// The I/O of device <paramref name="major"/>:<paramref name="minor"/> in <c>/proc/diskstats</c> (sectors are 512
    /// bytes whatever the device's sector size), or null when the file does not list it.
    /// </summary>
    public static DiskCounters? ParseDiskStats(string text, int major, int minor)
    {
        foreach (var line in Lines(text))
        {
            var f = Fields(line);
            if (f.Length < 10 || f[0] != major.ToString(CultureInfo.InvariantCulture) || f[1] != minor.ToString(CultureInfo.InvariantCulture))
            {
                continue;
            }

            long C(int i) => Long(f[i], "/proc/diskstats");

            // 3 reads completed, 5 sectors read, 7 writes completed, 9 sectors written.
            return new DiskCounters(C(5) * 512, C(9) * 512, C(3), C(7));
        }

        return null;
    }

    /// <summary>The mount of <c>/proc/self/mountinfo</c> that holds <paramref name="path"/>: the longest mount point above it.</summary>
    public static MountPoint? FindMount(string text, string path)
    {
        MountPoint? best = null;
        foreach (var line in Lines(text))
        {
            // ID parent major:minor root mountpoint options [optional fields] - fstype source superoptions
            var f = Fields(line);
            var dash = Array.IndexOf(f, "-");
            if (f.Length < 5 || dash < 0 || dash + 2 >= f.Length)
            {
                continue;
            }

            var mountPoint = Unescape(f[4]);
            if (!IsUnder(path, mountPoint) || (best is not null && best.Path.Length > mountPoint.Length))
            {
                continue;
            }

            var device = f[2].Split(':');
            if (device.Length == 2 && int.TryParse(device[0], CultureInfo.InvariantCulture, out var major)
                && int.TryParse(device[1], CultureInfo.InvariantCulture, out var minor))
            {
                best = new MountPoint(mountPoint, major, minor, Unescape(f[dash + 2]), f[dash + 1]);
            }
        }

        return best;
    }

    /// <summary>
    /// <c>/proc/PID/stat</c>. The command name (field 2) may hold spaces and parentheses, so fields are counted from the
    /// last ')'. <paramref name="pageSize"/> turns the resident page count into bytes.
    /// </summary>
    public static ProcessCounters ParseProcessStat(string text, long pageSize)
    {
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            throw new FormatException("/proc/PID/stat has no ')' after the command name.");
        }

        // After ')': field 3 (state) is index 0; utime (14) is 11, stime (15) is 12, starttime (22) is 19, rss (24) is 21.
        var f = Fields(text[(close + 1)..]);
        if (f.Length < 22)
        {
            throw new FormatException($"/proc/PID/stat has {f.Length + 2} fields, expected at least 24.");
        }

        return new ProcessCounters(Long(f[11], "/proc/PID/stat") / TicksPerSecond, Long(f[12], "/proc/PID/stat") / TicksPerSecond,
            Long(f[21], "/proc/PID/stat") * pageSize, Long(f[19], "/proc/PID/stat"));
    }

    /// <summary><c>/proc/PID/io</c>: bytes the process made the block layer read and write, and its read/write calls.</summary>
    public static DiskCounters ParseProcessIo(string text)
    {
        var values = KeyValues(text, ':');
        long Get(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"/proc/PID/io has no {key}.");
        return new DiskCounters(Get("read_bytes"), Get("write_bytes"), Get("syscr"), Get("syscw"));
    }

    /// <summary>Lines of <c>key: number</c> or <c>key number</c> (cgroup stat files, <c>/proc/PID/io</c>).</summary>
    public static Dictionary<string, long> KeyValues(string text, char separator = ' ')
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in Lines(text))
        {
            var at = line.IndexOf(separator);
            if (at > 0 && long.TryParse(line[(at + 1)..].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                values[line[..at].Trim()] = value;
            }
        }

        return values;
    }

    internal static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal static string[] Fields(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    internal static long Long(string value, string file) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
            : throw new FormatException($"{file}: '{value}' is not a counter.");

    private static double Double(string value, string file) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new FormatException($"{file}: '{value}' is not a number.");

    private static bool IsUnder(string path, string mountPoint) =>
        mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal (<c>\040</c>).</summary>
    private static string Unescape(string value)
    {
        if (!value.Contains('\\'))
        {
            return value;
        }

        var sb = new System.Text.StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && IsOctal(value, i + 1))
            {
                sb.Append((char)Convert.ToInt32(value.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(value[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(string value, int at) =>
        at + 3 <= value.Length && value[at] is >= '0' and <= '7' && value[at + 1] is >= '0' and <= '7' && value[at + 2] is >= '0' and <= '7';
}

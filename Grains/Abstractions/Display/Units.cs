namespace Formation.Display;

/// <summary>How sizes and ages read for people, the same in <c>form</c> and the dashboard.</summary>
public static class Units
{
    /// <summary>Memory in MiB: <c>512 MiB</c>, or GiB from 10 GiB on (<c>16 GiB</c>).</summary>
    public static string MiB(long mib) => mib >= 10 * 1024 ? $"{mib / 1024.0:0.#} GiB" : $"{mib} MiB";

    public static string GiB(long gib) => $"{gib} GiB";

    /// <summary>Bytes as B, KiB, MiB or GiB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:0.#} KiB",
        < 1 << 30 => $"{bytes / (double)(1 << 20):0.#} MiB",
        _ => $"{bytes / (double)(1 << 30):0.##} GiB",
    };

    /// <summary><c>5s ago</c>, <c>3m ago</c>, <c>2h ago</c>, <c>4d ago</c>; a time in the future counts as now.</summary>
    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalSeconds < 60 ? $"{span.TotalSeconds:0}s ago"
            : span.TotalMinutes < 60 ? $"{span.TotalMinutes:0}m ago"
            : span.TotalHours < 48 ? $"{span.TotalHours:0}h ago"
            : $"{span.TotalDays:0}d ago";
    }

    /// <summary>Age without "ago" (<c>5s</c>, <c>3m</c>, <c>2h</c>, <c>4d</c>), for table columns.</summary>
    public static string Age(DateTimeOffset since, DateTimeOffset now) => Ago(since, now)[..^4];
}

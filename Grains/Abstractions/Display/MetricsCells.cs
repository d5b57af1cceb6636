namespace Formation.Display;

/// <summary>How metrics read for people: <c>form top</c>, <c>form vm top</c>, <c>form vm show</c> and the dashboard.</summary>
public static class MetricsCells
{
    /// <summary>A share (0–1) as a percentage: <c>37.5%</c>.</summary>
    public static string Percent(double share) => $"{share * 100:0.0}%";

    /// <summary>A rate in bytes per second: <c>1.2 MiB/s</c>.</summary>
    public static string Rate(double bytesPerSecond) => Units.Bytes((long)Math.Round(bytesPerSecond)) + "/s";

    /// <summary>Two rates, in and out: <c>12 KiB/s / 3 KiB/s</c>.</summary>
    public static string Rates(double first, double second) => $"{Rate(first)} / {Rate(second)}";

    /// <summary>Used of all: <c>3.1 GiB / 15.6 GiB</c>.</summary>
    public static string UsedOf(long used, long total) => $"{Units.Bytes(used)} / {Units.Bytes(total)}";
}

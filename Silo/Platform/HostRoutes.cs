namespace Formation.Silo.Platform;

/// <summary>The host's IPv4 routes to networks (<c>ip -4 route show</c>), which new address ranges must not overlap.</summary>
public static class HostRoutes
{
    /// <summary>Every route with a prefix (e.g. <c>192.0.2.0/24</c>) and the device it goes through.</summary>
    public static async Task<IReadOnlyList<(string Subnet, string Device)>> Ipv4Async(CancellationToken cancellationToken)
    {
        var text = await ProcessRunner.CaptureAsync("ip", ["-4", "route", "show"], cancellationToken);
        var routes = new List<(string, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var dev = Array.IndexOf(parts, "dev");
            if (parts.Length > 0 && parts[0].Contains('/') && dev >= 0 && dev + 1 < parts.Length)
            {
                routes.Add((parts[0], parts[dev + 1]));
            }
        }

        return routes;
    }
}

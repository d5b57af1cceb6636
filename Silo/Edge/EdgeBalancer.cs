using Formation.Edge;

namespace Formation.Silo.Edge;

/// <summary>The order in which a request or connection tries a route's replicas: a pure function of what the table knows.</summary>
public static class EdgeBalancer
{
    /// <summary>
    /// Every destination once, the healthy ones first (a replica skipped by passive health is tried last: it may have
    /// recovered). Round robin: the list rotated to <paramref name="start"/>. Least requests: the healthy ones by fewest in
    /// flight, ties kept in rotated order (so equal load still spreads in turn).
    /// </summary>
    public static List<string> Order(
        IReadOnlyList<string> destinations, int start, EdgeBalance balance, Func<string, bool> isHealthy, Func<string, int> inFlight)
    {
        var count = destinations.Count;
        var healthy = new List<string>(count);
        var skipped = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var destination = destinations[(start + i) % count];
            (isHealthy(destination) ? healthy : skipped).Add(destination);
        }

        if (balance == EdgeBalance.LeastRequests && healthy.Count > 1)
        {
            var loads = healthy.Select((d, i) => (Destination: d, Load: inFlight(d), Turn: i)).ToList();
            loads.Sort((a, b) => a.Load != b.Load ? a.Load.CompareTo(b.Load) : a.Turn.CompareTo(b.Turn));
            healthy = [.. loads.Select(l => l.Destination)];
        }

        healthy.AddRange(skipped);
        return healthy;
    }
}

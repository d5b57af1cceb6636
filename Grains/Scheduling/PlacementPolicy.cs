using System.Text;
using Formation.Errors;
using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>
/// Chooses a node for a request: among healthy nodes that satisfy the constraint and have room, first one that runs no
/// replica of the same service (spread), then a preferred one (e.g. a node that already holds the VM's image, so nothing
/// has to be fetched), then one with a lower measured load, and among those the one left least loaded by reservations
/// (lowest highest-utilization after placement; ties by node id). Spread, preference and measured load never make a
/// request fail: when every node with room is avoided or none is preferred, the best of the rest is chosen. Pure and
/// allocation-free on success.
/// </summary>
/// <remarks>
/// Measured load counts in steps of <see cref="LoadStep"/> above the least measured load among the candidates, so that
/// nodes whose figures differ by noise (several silos on one host measure the same CPUs) are still told apart by their
/// reservations. A figure older than the given maximum age is ignored. A node without a (fresh) figure counts as loaded
/// like the average of the measured candidates: unknown is neutral, never taken for idle.
/// </remarks>
public static class PlacementPolicy
{
    /// <summary>Measured CPU busy shares closer than this to the least loaded candidate's count as equal.</summary>
    public const double LoadStep = 0.15;

    private const int Ranks = 4;

    /// <summary>Returns the chosen node id, or throws NoCapacity explaining the best candidate.</summary>
    public static string Choose(IReadOnlyList<PlacementCandidate> nodes, NodeCapacity request, string? nodeConstraint) =>
        Choose(nodes, request, nodeConstraint, null);

    /// <summary>As above, taking a node among <paramref name="preferred"/> over any other whenever one of them fits.</summary>
    public static string Choose(
        IReadOnlyList<PlacementCandidate> nodes, NodeCapacity request, string? nodeConstraint, IReadOnlyList<string>? preferred) =>
        Choose(nodes, request, nodeConstraint, preferred, null);

    /// <summary>As above, also avoiding the nodes in <paramref name="spreadFrom"/> whenever another node fits.</summary>
    public static string Choose(
        IReadOnlyList<PlacementCandidate> nodes,
        NodeCapacity request,
        string? nodeConstraint,
        IReadOnlyList<string>? preferred,
        IReadOnlyList<string>? spreadFrom) =>
        Choose(nodes, request, nodeConstraint, preferred, spreadFrom, default, TimeSpan.Zero);

    /// <summary>
    /// As above, also preferring a node with a lower measured load: figures received at most
    /// <paramref name="loadMaxAge"/> before <paramref name="now"/> count (none when it is zero).
    /// </summary>
    public static string Choose(
        IReadOnlyList<PlacementCandidate> nodes,
        NodeCapacity request,
        string? nodeConstraint,
        IReadOnlyList<string>? preferred,
        IReadOnlyList<string>? spreadFrom,
        DateTimeOffset now,
        TimeSpan loadMaxAge)
    {
        // First pass: the best rank any fitting node has, and per rank the least and the mean fresh measured load.
        var bestRank = -1;
        Span<double> least = stackalloc double[Ranks];
        Span<double> sum = stackalloc double[Ranks];
        Span<int> measured = stackalloc int[Ranks];
        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (!Fits(n, request, nodeConstraint))
            {
                continue;
            }

            var rank = Rank(n, preferred, spreadFrom);
            bestRank = Math.Max(bestRank, rank);
            if (Fresh(n, now, loadMaxAge) is { } load)
            {
                least[rank] = measured[rank] == 0 ? load : Math.Min(least[rank], load);
                sum[rank] += load;
                measured[rank]++;
            }
        }

        if (bestRank < 0)
        {
            throw NothingFits(nodes, request, nodeConstraint);
        }

        // Second pass, among the nodes of the best rank: lower measured load (in steps), then reservations, then id.
        var floor = least[bestRank];
        var neutral = measured[bestRank] == 0 ? floor : sum[bestRank] / measured[bestRank];
        string? best = null;
        var bestStep = int.MaxValue;
        var bestLoad = double.MaxValue;
        for (var i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (!Fits(n, request, nodeConstraint) || Rank(n, preferred, spreadFrom) != bestRank)
            {
                continue;
            }

            var step = (int)Math.Floor(((Fresh(n, now, loadMaxAge) ?? neutral) - floor) / LoadStep);
            var load = LoadAfter(n, request);
            if (best is null || step < bestStep ||
                (step == bestStep && (load < bestLoad || (load == bestLoad && string.CompareOrdinal(n.NodeId, best) < 0))))
            {
                best = n.NodeId;
                bestStep = step;
                bestLoad = load;
            }
        }

        return best!;
    }

    private static bool Fits(PlacementCandidate n, NodeCapacity request, string? nodeConstraint) =>
        n.Healthy && !n.Drained && (nodeConstraint is null || n.NodeId == nodeConstraint) && n.Free.Fits(request);

    /// <summary>Spread first (2), then preference (1): a higher rank wins over any load.</summary>
    private static int Rank(PlacementCandidate n, IReadOnlyList<string>? preferred, IReadOnlyList<string>? spreadFrom) =>
        (spreadFrom is not null && Contains(spreadFrom, n.NodeId) ? 0 : 2) + (preferred is not null && Contains(preferred, n.NodeId) ? 1 : 0);

    /// <summary>The node's measured load if it is recent enough to count, else null.</summary>
    private static double? Fresh(PlacementCandidate n, DateTimeOffset now, TimeSpan maxAge) =>
        n.MeasuredLoad is { } load && double.IsFinite(load) && maxAge > TimeSpan.Zero && now - n.LoadReceivedAt <= maxAge && n.LoadReceivedAt <= now
            ? Math.Clamp(load, 0, 1)
            : null;

    private static bool Contains(IReadOnlyList<string> list, string nodeId)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], nodeId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The highest of the three utilizations the node would have with the request placed.</summary>
    private static double LoadAfter(PlacementCandidate n, NodeCapacity request)
    {
        var after = n.Reserved + request;
        return Math.Max(
            Ratio(after.VCpus, n.Allocatable.VCpus),
            Math.Max(Ratio(after.MemoryMiB, n.Allocatable.MemoryMiB), Ratio(after.DiskGiB, n.Allocatable.DiskGiB)));
    }

    private static double Ratio(long used, long total) => total <= 0 ? (used > 0 ? double.MaxValue : 0) : (double)used / total;

    private static FormationException NothingFits(IReadOnlyList<PlacementCandidate> nodes, NodeCapacity request, string? nodeConstraint)
    {
        var text = new StringBuilder($"No node can host a VM with {request}");
        IEnumerable<PlacementCandidate> pool = nodes;
        if (nodeConstraint is not null)
        {
            text.Append($" on node '{nodeConstraint}'");
            pool = nodes.Where(n => n.NodeId == nodeConstraint);
            if (!pool.Any())
            {
                var known = string.Join(", ", nodes.Select(n => n.NodeId).Order().Take(10));
                text.Append($": no node '{nodeConstraint}' is registered (known: {(known.Length == 0 ? "none" : known)}).");
                return new FormationException(ErrorKind.NoCapacity, text.ToString());
            }
        }

        if (nodeConstraint is not null && pool.All(n => n.Drained))
        {
            text.Append($": node '{nodeConstraint}' is drained (`form node undrain {nodeConstraint}` lets it take VMs again).");
            return new FormationException(ErrorKind.NoCapacity, text.ToString());
        }

        var drained = pool.Count(n => n.Drained);
        pool = pool.Where(n => !n.Drained);
        var healthy = pool.Where(n => n.Healthy).ToList();
        if (healthy.Count == 0)
        {
            text.Append(nodes.Count == 0
                ? ": no nodes are registered. Start a silo (scripts/run) first."
                : $": {(nodeConstraint is null ? "no node is healthy" : "the node is not healthy")} (heartbeats stopped).");
            return new FormationException(ErrorKind.NoCapacity, text.ToString());
        }

        var best = healthy.OrderBy(n => Shortfall(n.Free, request, n.Allocatable)).ThenBy(n => n.NodeId, StringComparer.Ordinal).First();
        text.Append($". Best candidate: {best.NodeId} with {best.Free} free; short of {Missing(best.Free, request)}.");
        var unhealthy = pool.Count() - healthy.Count;
        text.Append($" {healthy.Count} healthy node(s) considered");
        text.Append(unhealthy > 0 ? $", {unhealthy} unhealthy skipped" : "");
        text.Append(drained > 0 ? $", {drained} drained skipped." : ".");
        text.Append(" Free capacity by deleting VMs, ask for less, or add a node.");
        return new FormationException(ErrorKind.NoCapacity, text.ToString());
    }

    private static double Shortfall(NodeCapacity free, NodeCapacity request, NodeCapacity total) =>
        Gap(request.VCpus, free.VCpus, total.VCpus) + Gap(request.MemoryMiB, free.MemoryMiB, total.MemoryMiB) + Gap(request.DiskGiB, free.DiskGiB, total.DiskGiB);

    private static double Gap(long want, long have, long total) => want <= have ? 0 : (double)(want - have) / Math.Max(1, total);

    private static string Missing(NodeCapacity free, NodeCapacity request)
    {
        var parts = new List<string>(3);
        if (request.VCpus > free.VCpus)
        {
            parts.Add($"{request.VCpus - free.VCpus} vCPU");
        }

        if (request.MemoryMiB > free.MemoryMiB)
        {
            parts.Add($"{request.MemoryMiB - free.MemoryMiB} MiB memory");
        }

        if (request.DiskGiB > free.DiskGiB)
        {
            parts.Add($"{request.DiskGiB - free.DiskGiB} GiB disk");
        }

        return string.Join(" and ", parts);
    }
}

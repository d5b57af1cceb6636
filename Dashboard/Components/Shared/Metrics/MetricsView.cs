using Formation.Dashboard.Cluster;
using Formation.Errors;
using Formation.Metrics;
using Formation.Nodes;

namespace Formation.Dashboard.Components.Shared.Metrics;

/// <summary>
/// What a page shows of a node's or a VM's history: its charts, or one sentence saying why there are none (no sample
/// yet, metrics off on the node, the node down). Reading metrics never fails the page: they only decorate it.
/// </summary>
public sealed record MetricsView(IReadOnlyList<MetricChart> Charts, string? Absent, TimeSpan Interval)
{
    /// <summary>The silo's default sampling interval, used until a node says its own.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    /// <summary>Before the first read.</summary>
    public static MetricsView Loading { get; } = new([], null, DefaultInterval);

    public static MetricsView NoSamples(TimeSpan interval) =>
        new([], $"No samples yet (the node samples every {Seconds(interval)}).", interval);

    public static MetricsView Unavailable(string why) => new([], why, DefaultInterval);

    /// <summary>A node's history; a node that is not healthy is not asked (its history is in its silo's memory).</summary>
    public static async Task<MetricsView> OfNodeAsync(FormationService formation, NodeStatus node)
    {
        if (node.Health != NodeHealth.Healthy)
        {
            return Unavailable($"No metrics: node {node.NodeId} is {node.Health.ToString().ToLowerInvariant()}, and its history is kept in its silo's memory.");
        }

        try
        {
            var history = await formation.NodeMetricsAsync(node.NodeId);
            return history.Points.Count == 0 ? NoSamples(history.Interval) : new(MetricCharts.Of(history), null, history.Interval);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unavailable(FabricErrors.Describe(ex));
        }
    }

    /// <summary>
    /// A VM's history from its node. The node is asked for its own interval first: that also says whether it keeps metrics
    /// at all, so a VM it has not sampled yet (NotFound) reads as "no samples yet".
    /// </summary>
    public static async Task<MetricsView> OfVmAsync(FormationService formation, Vms.VmRef vm)
    {
        if (string.IsNullOrEmpty(vm.NodeId))
        {
            return Unavailable("No metrics yet: the VM is not placed on a node.");
        }

        TimeSpan interval;
        try
        {
            interval = (await formation.NodeMetricsAsync(vm.NodeId, 1)).Interval;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unavailable(FabricErrors.Describe(ex));
        }

        try
        {
            var history = await formation.VmMetricsAsync(vm);
            return history.Points.Count == 0 ? NoSamples(interval) : new(MetricCharts.Of(history), null, interval);
        }
        catch (FormationException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            return NoSamples(interval);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unavailable(FabricErrors.Describe(ex));
        }
    }

    private static string Seconds(TimeSpan interval) => $"{interval.TotalSeconds:0.#} s";
}

namespace Formation.Metrics;

/// <summary>
/// A node's metrics history (key: node id), read on that node's own silo where it is kept in memory. Stateless: a node
/// that restarts starts a new history.
/// </summary>
[Alias("formation.node-metrics-grain")]
public interface INodeMetricsGrain : IGrainWithStringKey
{
    /// <summary>The node's last <paramref name="count"/> samples (0: the whole hour kept).</summary>
    [Alias("node")]
    [NonMutating]
    Task<NodeMetrics> GetNodeAsync(int count);

    /// <summary>Every VM on the node with its last <paramref name="count"/> samples (1: just the current one).</summary>
    [Alias("vms")]
    [NonMutating]
    Task<IReadOnlyList<VmMetrics>> GetVmsAsync(int count);

    /// <summary>One VM's last <paramref name="count"/> samples; NotFound when the node holds no such VM.</summary>
    [Alias("vm")]
    [NonMutating]
    Task<VmMetrics> GetVmAsync(string vmId, int count);
}

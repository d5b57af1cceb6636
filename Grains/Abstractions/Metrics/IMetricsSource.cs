namespace Formation.Metrics;

/// <summary>The history a node keeps in memory (the last hour at its sampling interval); implemented by the silo's collector.</summary>
public interface IMetricsSource
{
    /// <summary>The node's last <paramref name="count"/> samples (all kept when 0 or more than kept).</summary>
    NodeMetrics Node(int count);

    /// <summary>Every VM the node holds, each with its last <paramref name="count"/> samples.</summary>
    IReadOnlyList<VmMetrics> Vms(int count);

    /// <summary>The node's load over the last <see cref="Nodes.NodeLoad.Window"/>, or null before it has measured any.</summary>
    Nodes.NodeLoad? Load();

    /// <summary>One VM's last <paramref name="count"/> samples, or null when the node holds no such VM.</summary>
    VmMetrics? Vm(string vmId, int count);
}

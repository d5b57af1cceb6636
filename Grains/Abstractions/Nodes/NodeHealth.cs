namespace Formation.Nodes;

/// <summary>How the cluster sees a node.</summary>
[GenerateSerializer]
[Alias("formation.node-health")]
public enum NodeHealth
{
    /// <summary>Heartbeats arrive on time.</summary>
    Healthy = 0,

    /// <summary>Heartbeats stopped; the node's VMs are shown as Lost.</summary>
    Unhealthy = 1,

    /// <summary>The node's silo shut down cleanly.</summary>
    Left = 2,
}

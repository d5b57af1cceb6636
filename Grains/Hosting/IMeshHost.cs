namespace Formation.Grains.Hosting;

/// <summary>This node's mesh agent, as grains reach it (<see cref="Formation.Nodes.INodeGrain.SyncMeshAsync"/>).</summary>
public interface IMeshHost
{
    /// <summary>Syncs the mesh now (publishes this node's roaming claims, applies everyone's); returns when done. A node without a mesh does nothing.</summary>
    Task SyncNowAsync(CancellationToken cancellationToken);
}

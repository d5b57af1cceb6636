using Formation.Errors;
using Formation.Grains.Placement;
using Formation.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Formation.Grains.Metrics;

/// <summary>Reads the node's metrics history on the node's own silo. Stateless.</summary>
[HostAffinityPlacement]
[Reentrant]
public sealed class NodeMetricsGrain(IServiceProvider services) : Grain, INodeMetricsGrain
{
    public Task<NodeMetrics> GetNodeAsync(int count) => Task.FromResult(Source().Node(count));

    public Task<IReadOnlyList<VmMetrics>> GetVmsAsync(int count) => Task.FromResult(Source().Vms(count));

    public Task<VmMetrics> GetVmAsync(string vmId, int count) =>
        Task.FromResult(Source().Vm(vmId, count) ?? throw FormationException.NotFound(
            $"node '{this.GetPrimaryKeyString()}' has no metrics for VM {vmId}: it holds no such VM (yet), or the VM was deleted."));

    private IMetricsSource Source() => services.GetService<IMetricsSource>() ?? throw new FormationException(ErrorKind.NodeUnavailable,
        $"node '{this.GetPrimaryKeyString()}' collects no metrics (Formation:Metrics:Collect is false).");
}

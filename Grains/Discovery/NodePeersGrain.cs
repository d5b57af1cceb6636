using Formation.Discovery;
using Formation.Errors;
using Formation.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;

namespace Formation.Grains.Discovery;

/// <summary>Reads the node's discovery directory on the node's own silo. Stateless.</summary>
[HostAffinityPlacement]
[Reentrant]
public sealed class NodePeersGrain(IServiceProvider services) : Grain, INodePeersGrain
{
    public Task<IReadOnlyList<PeerRow>> ListAsync()
    {
        var directory = services.GetService<IPeerDirectory>() ?? throw new FormationException(ErrorKind.NodeUnavailable,
            $"Node '{this.GetPrimaryKeyString()}' runs no libp2p discovery (a test host); start it with formation-silo.");
        return Task.FromResult(directory.Snapshot());
    }
}

using Formation.Errors;
using Orleans.Runtime.Placement;

namespace Formation.Silo.Placement;

/// <summary>
/// Places a host-affine grain on the silo whose name is the node id in the grain's key. The one place host affinity
/// is decided. Runs on the caller's silo; the exception reaches the caller.
/// </summary>
public sealed class HostAffinityPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var nodeId = GrainKeys.NodeOf(target.GrainIdentity.Key.ToString()!);
        var members = membership.CurrentSnapshot.Members;
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Active && member.Name == nodeId)
            {
                return Task.FromResult(silo);
            }
        }

        var connected = string.Join(", ", members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).Order());
        throw new FormationException(ErrorKind.NodeUnavailable,
            $"Node '{nodeId}' is not connected to the cluster (its silo is stopped or has not joined yet), so what it " +
            $"hosts cannot be reached. Start formation-silo on that node again; `form node list` shows node health. " +
            $"Connected nodes: {(connected.Length == 0 ? "none" : connected)}.");
    }
}

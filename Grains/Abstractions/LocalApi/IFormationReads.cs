using Formation.Discovery;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.LocalApi;

/// <summary>
/// The read queries behind <c>form vm list</c>, <c>form vm show</c> and <c>form node list</c>. Answered either through
/// the Orleans client (<see cref="GrainReads"/>) or, on the silo's own host, through its local API socket.
/// </summary>
public interface IFormationReads
{
    Task<IReadOnlyList<VmSummary>> ListVmsAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken);

    /// <summary>One VM by id or name, with its recent events. Unknown: <see cref="Errors.FormationException"/> NotFound.</summary>
    Task<VmDetail> GetVmAsync(string idOrName, CancellationToken cancellationToken);

    /// <summary>
    /// One VM's current record by id or name, without events or usage: what waiting for a state polls (two grain calls
    /// instead of four; 20 concurrent creates each poll until Running). Unknown: NotFound.
    /// </summary>
    Task<VmInfo> GetVmInfoAsync(string idOrName, CancellationToken cancellationToken);

    /// <summary>
    /// The VM's record once it is in <paramref name="target"/> or Failed, or after at most <see cref="VmWaits.MaxPatience"/>
    /// with its state then: one call that the silo answers when the state changes, instead of polling. Unknown: NotFound.
    /// </summary>
    Task<VmInfo> WaitForVmAsync(string idOrName, VmState target, CancellationToken cancellationToken);

    /// <summary>The libp2p peers each connected node knows (<c>form peer list</c>).</summary>
    Task<IReadOnlyList<PeerRow>> ListPeersAsync(CancellationToken cancellationToken);
}

using Formation.LocalApi;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Cli.Connection;

/// <summary>The front door's calls through the Orleans client.</summary>
public sealed class GrainCalls(IGrainFactory grains) : IFormationCalls
{
    private readonly GrainReads _reads = new(grains);
    private readonly GrainWrites _writes = new(grains);

    public Task<IReadOnlyList<VmSummary>> ListVmsAsync(CancellationToken cancellationToken) => _reads.ListVmsAsync(cancellationToken);

    public Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken) => _reads.ListNodesAsync(cancellationToken);

    public Task<VmDetail> GetVmAsync(string idOrName, CancellationToken cancellationToken) => _reads.GetVmAsync(idOrName, cancellationToken);

    public Task<VmInfo> GetVmInfoAsync(string idOrName, CancellationToken cancellationToken) => _reads.GetVmInfoAsync(idOrName, cancellationToken);

    public Task<VmInfo> WaitForVmAsync(string idOrName, VmState target, CancellationToken cancellationToken) =>
        _reads.WaitForVmAsync(idOrName, target, cancellationToken);

    public Task<IReadOnlyList<Discovery.PeerRow>> ListPeersAsync(CancellationToken cancellationToken) => _reads.ListPeersAsync(cancellationToken);

    public Task<VmInfo> CreateVmAsync(VmSpec spec, CancellationToken cancellationToken) => _writes.CreateVmAsync(spec, cancellationToken);

    public Task<VmInfo> DeleteVmAsync(string idOrName, CancellationToken cancellationToken) => _writes.DeleteVmAsync(idOrName, cancellationToken);
}

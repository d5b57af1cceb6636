using Formation.Errors;
using Formation.Vms;

namespace Formation.LocalApi;

/// <summary>The silo's side of the local API: answering a parsed request from the grains (the Orleans half of the protocol).</summary>
public static partial class LocalApiProtocol
{
    /// <summary>Answers one request from <paramref name="reads"/> and <paramref name="writes"/>; Formation errors become error replies.</summary>
    public static async Task<LocalApiReply> AnswerAsync(
        IFormationReads reads, IFormationWrites writes, LocalApiRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return request.Query switch
            {
                Vms => new LocalApiReply(Vms: await reads.ListVmsAsync(cancellationToken)),
                Nodes => new LocalApiReply(Nodes: await reads.ListNodesAsync(cancellationToken)),
                Vm when string.IsNullOrWhiteSpace(request.Vm) => Failure(FormationException.Invalid("the vm query needs a VM id or name.")),
                Vm => new LocalApiReply(Vm: await reads.GetVmAsync(request.Vm!, cancellationToken)),
                Info when string.IsNullOrWhiteSpace(request.Vm) => Failure(FormationException.Invalid("the vm-info query needs a VM id or name.")),
                Info when request.Until is { } until => new LocalApiReply(Info: await reads.WaitForVmAsync(request.Vm!, until, cancellationToken)),
                Info => new LocalApiReply(Info: await reads.GetVmInfoAsync(request.Vm!, cancellationToken)),
                Peers => new LocalApiReply(Peers: await reads.ListPeersAsync(cancellationToken)),
                Create when request.Spec is null => Failure(FormationException.Invalid("the create query needs a spec.")),
                Create => new LocalApiReply(Info: await CreateAsync(reads, writes, request.Spec!, request.Until, cancellationToken)),
                Delete when string.IsNullOrWhiteSpace(request.Vm) => Failure(FormationException.Invalid("the delete query needs a VM id or name.")),
                Delete => new LocalApiReply(Info: await writes.DeleteVmAsync(request.Vm!, cancellationToken)),
                _ => Failure(FormationException.Invalid(
                    $"unknown local API query '{request.Query}': use {Vms}, {Nodes}, {Vm}, {Info}, {Peers}, {Create} or {Delete}.")),
            };
        }
        catch (FormationException ex)
        {
            return Failure(ex);
        }
    }

    /// <summary>Creates the VM; with <paramref name="until"/>, answers once it is there (one request instead of a create and a wait).</summary>
    private static async Task<VmInfo> CreateAsync(
        IFormationReads reads, IFormationWrites writes, VmSpec spec, VmState? until, CancellationToken cancellationToken)
    {
        var info = await writes.CreateVmAsync(spec, cancellationToken);
        return until is { } target && info.State != target && info.State != VmState.Failed
            ? await reads.WaitForVmAsync(info.Id, target, cancellationToken)
            : info;
    }
}

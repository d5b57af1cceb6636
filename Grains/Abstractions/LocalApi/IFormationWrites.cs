using Formation.Vms;

namespace Formation.LocalApi;

/// <summary>
/// The mutations <c>form</c> retries on another silo when its first one dies: creating a VM (idempotent through
/// <see cref="VmSpec.RequestId"/>) and deleting one (a retry that finds the VM gone has done its job). Answered through
/// the Orleans client (<see cref="GrainWrites"/>) or a silo's local API socket.
/// </summary>
public interface IFormationWrites
{
    /// <summary>Validates, places and creates the VM; a repeat of the same request returns the first attempt's VM.</summary>
    Task<VmInfo> CreateVmAsync(VmSpec spec, CancellationToken cancellationToken);

    /// <summary>Starts deleting the VM with this id or name. Unknown: <see cref="Errors.FormationException"/> NotFound.</summary>
    Task<VmInfo> DeleteVmAsync(string idOrName, CancellationToken cancellationToken);
}

using Formation.Errors;
using Formation.Identity;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Ownership for the VM's helper grains (console, exec), which share the VM grain's key but hold no state: the VM
/// grain is asked once per activation (a VM's owner never changes), and a caller that may not act on the VM is told
/// what the VM grain tells a caller of a VM that does not exist.
/// </summary>
internal sealed class VmOwnerCheck(IGrainFactory grains, string vmKey)
{
    private string? _owner;

    public async Task RequireAsync()
    {
        if (_owner is null)
        {
            _owner = (await grains.GetGrain<IVmGrain>(vmKey).GetAsync()).Account; // NotFound for a caller it is hidden from
            return;
        }

        if (!CallerContext.CurrentOrSystem.MayAct(_owner))
        {
            throw FormationException.NotFound($"VM {GrainKeys.VmIdOf(vmKey)} does not exist on node {GrainKeys.NodeOf(vmKey)}.");
        }
    }
}

using Formation.Errors;
using Formation.Identity;
using Formation.Ownership;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Who owns a new VM, decided by the silo from the request's caller (never from the client's spec): the caller's
/// account; for a service's replica, the service's owner (the service grain creates replicas from its timer, as the
/// silo). The catalog and the VM grain both ask here, in the same request, so they always agree.
/// </summary>
public static class VmOwners
{
    public static string ForNew(Caller caller, VmSpec spec)
    {
        if (spec.Service is not { } service)
        {
            return OwnedName.HomeOf(caller);
        }

        var owner = OwnedName.FromStored(service).Account;
        return caller.MayAct(owner)
            ? owner
            : throw FormationException.NotFound($"No service named '{OwnedName.FromStored(service).Name}'. `form service list` shows the services.");
    }

    /// <summary>The error for a VM the caller may not see: word for word the one for a VM that does not exist.</summary>
    public static FormationException NotFound(string idOrName) =>
        FormationException.NotFound($"No VM with id or name '{idOrName}'. `form vm list` shows the VMs.");
}

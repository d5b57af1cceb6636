using Formation.Vms;

namespace Formation.Silo.Dns;

/// <summary>What the feeder knows of one VM: enough to name it (its account too), and when that was true (newer facts win).</summary>
public sealed record VmEntry(string Id, string Name, string NodeId, VmState State, string? Address, DateTimeOffset UpdatedAt, string Account = Formation.Identity.Caller.AdminAccount)
{
    public static VmEntry From(VmSummary vm) => new(vm.Id, vm.Name, vm.NodeId, vm.State, vm.Address, vm.UpdatedAt, vm.Account);

    public static VmEntry From(VmInfo vm) => new(vm.Id, vm.Name, vm.NodeId, vm.State, vm.Address, vm.UpdatedAt, vm.Account);
}

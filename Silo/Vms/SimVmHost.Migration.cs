using System.Security.Cryptography;
using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// Simulated live migration: nothing travels (a simulated VM has no state); the new node's VM "arrives" after
/// <see cref="SimOptions.BootDelay"/> and the old node's is paused once "sent", as real ones are. <see cref="SimOptions.MigrationFault"/>
/// makes either end fail, for tests of how the cluster undoes a move.
/// </summary>
public sealed partial class SimVmHost : IVmMigrationHost
{
    public IVmMigrationHost? Migration => this;

    public Task<MigrationInbox?> ReceiveAsync(VmInfo vm, string fromNode, CancellationToken cancellationToken)
    {
        _vms[vm.Id] = VmState.Provisioning;
        _specs[vm.Id] = vm.Spec;
        Booted(vm.Id);
        _ = options.MigrationFault == SimMigrationFault.Arrive
            ? CompleteLaterAsync(vm.Id, VmState.Provisioning, VmState.Failed, $"simulated: the VM's state from node {fromNode} did not arrive")
            : CompleteLaterAsync(vm.Id, VmState.Provisioning, VmState.Running, $"simulated: arrived live from node {fromNode}", vm.Address);
        return Task.FromResult<MigrationInbox?>(new MigrationInbox("127.0.0.1", 9, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))));
    }

    public Task SendAsync(VmInfo vm, MigrationInbox inbox, CancellationToken cancellationToken)
    {
        Require(vm.Id);
        if (options.MigrationFault == SimMigrationFault.Send)
        {
            throw new FormationException(ErrorKind.HostFailure, $"simulated: the stream to {inbox.Address} broke");
        }

        _vms[vm.Id] = VmState.Paused; // sent: paused here until it goes (or continues, the move undone)
        return Task.CompletedTask;
    }
}

using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>A node without a usable driver: every VM operation fails with the reason the node chose none.</summary>
public sealed class NoVmHost(string reason) : INodeVmHost
{
    public string DriverName => Hypervisors.DriverNames.None;

    public IVmConsoleHost? Console => null;

    public IVmExecHost? Exec => null;

    public Task AdoptAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PrepareNetworkAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IReadOnlyList<VmCensusEntry> Census() => [];

    public Task ProvisionAsync(VmInfo vm, CancellationToken cancellationToken) => throw Fail();

    public Task StopAsync(string vmId, CancellationToken cancellationToken) => throw Fail();

    public Task PauseAsync(string vmId, CancellationToken cancellationToken) => throw Fail();

    public Task ResumeAsync(string vmId, CancellationToken cancellationToken) => throw Fail();

    public Task RebootAsync(string vmId, CancellationToken cancellationToken) => throw Fail();

    public Task<Formation.Snapshots.SnapshotInfo> SnapshotAsync(VmInfo vm, string name, bool stop, CancellationToken cancellationToken) => throw Fail();

    public Task RestoreAsync(VmInfo vm, string snapshot, CancellationToken cancellationToken) => throw Fail();

    public Task CloneAsync(VmInfo vm, CancellationToken cancellationToken) => throw Fail();

    public Task DeleteAsync(string vmId, bool keepAddress, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<HostVmStatus?> InspectAsync(string vmId, CancellationToken cancellationToken) => Task.FromResult<HostVmStatus?>(null);

    private FormationException Fail() => new(ErrorKind.HostFailure, $"this node has no hypervisor driver: {reason}");
}

using Formation.Grains.Hosting;

namespace Formation.Silo.Vms;

/// <summary>Re-adopts running VMs before the node registers, so VM grains reconcile against what really runs.</summary>
public sealed class VmRuntimeLifecycle(IVmHost host) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(VmRuntimeLifecycle), ServiceLifecycleStage.ApplicationServices, ct =>
            host is VmRuntime runtime ? runtime.AdoptAllAsync(ct) : Task.CompletedTask);
}

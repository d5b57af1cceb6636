namespace Formation.Silo.Vms;

/// <summary>Runs the node's VM host through silo start: adoption before the node registers, networking once active.</summary>
public sealed class VmHostLifecycle(INodeVmHost host) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(VmHostLifecycle), ServiceLifecycleStage.ApplicationServices, host.AdoptAsync);
        lifecycle.Subscribe(nameof(VmHostLifecycle), ServiceLifecycleStage.Active, host.PrepareNetworkAsync);
    }
}

using Formation.Grains.Hosting;
using Formation.Silo.Network;

namespace Formation.Silo.Vms;

/// <summary>
/// Re-adopts running VMs before the node registers (so VM grains reconcile against what really runs), and sets up the
/// node's bridge once the cluster answers (its subnet comes from the cluster's address plan).
/// </summary>
public sealed partial class VmRuntimeLifecycle(IVmHost host, HostNetwork network, ILogger<VmRuntimeLifecycle> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(VmRuntimeLifecycle), ServiceLifecycleStage.ApplicationServices, ct =>
            host is VmRuntime runtime ? runtime.AdoptAllAsync(ct) : Task.CompletedTask);
        lifecycle.Subscribe(nameof(VmRuntimeLifecycle), ServiceLifecycleStage.Active, EnsureBridgeAsync);
    }

    private async Task EnsureBridgeAsync(CancellationToken cancellationToken)
    {
        if (host is not VmRuntime || !network.Enabled)
        {
            return;
        }

        try
        {
            await network.EnsureBridgeAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            LogBridgeFailed(ex, network.BridgeName);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not set up bridge {Bridge}; VMs on this node will fail to start until it works")]
    private partial void LogBridgeFailed(Exception ex, string bridge);
}

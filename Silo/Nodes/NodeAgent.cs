using Formation.Grains.Scheduling;
using Formation.Metrics;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Services;
using Formation.Vms;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Nodes;

/// <summary>
/// Registers this node when the silo becomes active, sends heartbeats, re-activates this node's VM grains so they
/// reconcile with the host, wakes the services, and announces a clean shutdown. Each heartbeat carries the node's measured
/// load (from its metrics, when it collects them) for the scheduler to prefer the less loaded nodes.
/// </summary>
public sealed partial class NodeAgent(
    IGrainFactory grains,
    LocalNode node,
    IOptions<SchedulerOptions> options,
    ILogger<NodeAgent> logger,
    IMetricsSource? metrics = null) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _heartbeats = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(NodeAgent), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = node.Info;
        await grains.GetGrain<INodeGrain>(info.NodeId).RegisterAsync(info);
        LogRegistered(info.NodeId, info.HypervisorDriver, node.Hypervisor.Reason, info.Allocatable.ToString());
        _heartbeats = Task.Run(() => HeartbeatLoopAsync(_stopping.Token));
        _ = Task.Run(() => ReconcileVmsAsync(_stopping.Token));

        // Services are driven by timers of their grains: wake them, so a rollout or a replica repair that a silo's death
        // interrupted goes on without waiting for a user's call (one-way; every silo's start does it, which is harmless).
        await grains.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).WakeAllAsync();
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _heartbeats;
        try
        {
            await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).NodeLeavingAsync(node.Identity.NodeId)
                .WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
        }
        catch (Exception ex)
        {
            LogLeaveFailed(ex, node.Identity.NodeId);
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        var scheduler = grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await scheduler.HeartbeatAsync(node.Identity.NodeId, metrics?.Load());
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogHeartbeatFailed(ex, node.Identity.NodeId);
                    await TryReRegisterAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task TryReRegisterAsync()
    {
        try
        {
            await grains.GetGrain<INodeGrain>(node.Identity.NodeId).RegisterAsync(node.Info);
        }
        catch (Exception ex)
        {
            LogHeartbeatFailed(ex, node.Identity.NodeId);
        }
    }

    /// <summary>Touch every VM grain of this node so each reconciles its state with what the host really runs.</summary>
    private async Task ReconcileVmsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var vms = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
            foreach (var vm in vms.Where(v => v.NodeId == node.Identity.NodeId))
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    await grains.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetAsync();
                }
                catch (Errors.FormationException ex) when (ex.Kind == Errors.ErrorKind.NotFound)
                {
                    // The catalog lists a VM this node does not have: tell the catalog it is gone.
                    await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).UpdateAsync(vm with { State = VmState.Deleted });
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReconcileFailed(ex, node.Identity.NodeId);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} registered; driver {Driver} ({Reason}); offers {Allocatable}")]
    private partial void LogRegistered(string nodeId, string driver, string reason, string allocatable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId}: heartbeat failed")]
    private partial void LogHeartbeatFailed(Exception ex, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId}: could not announce shutdown")]
    private partial void LogLeaveFailed(Exception ex, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId}: reconciling VMs after start failed")]
    private partial void LogReconcileFailed(Exception ex, string nodeId);
}

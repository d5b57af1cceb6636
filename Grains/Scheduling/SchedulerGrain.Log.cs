namespace Formation.Grains.Scheduling;

public sealed partial class SchedulerGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} registered: {Allocatable} allocatable, driver {Driver}")]
    private partial void LogNodeRegistered(string nodeId, string allocatable, string driver);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} is unhealthy: {Why}")]
    private partial void LogNodeUnhealthy(string nodeId, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing a node event for {NodeId} failed")]
    private partial void LogPublishFailed(Exception ex, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Released the reservation of VM {VmId} on node {NodeId} ({Resources}): no VM behind it after {Seconds} s")]
    private partial void LogReservationReleased(string vmId, string nodeId, string resources, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling reservations: asking {What} failed; trying again next round")]
    private partial void LogReconcileFailed(Exception ex, string what);
}

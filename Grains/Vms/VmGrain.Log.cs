using Formation.Vms;

namespace Formation.Grains.Vms;

public sealed partial class VmGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: {From} -> {To} ({Reason})")]
    private partial void LogTransition(string vmId, VmState from, VmState to, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: host could not {Action} it")]
    private partial void LogHostFailed(Exception ex, string action, string vmId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "VM {VmId}: ignored host report {Observed} while {Current}")]
    private partial void LogIgnoredReport(string vmId, VmState current, VmState observed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: restart policy {Policy} boots it again ({Count} recent automatic restarts)")]
    private partial void LogAutomaticRestart(string vmId, RestartPolicy policy, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: reconcile with the host failed")]
    private partial void LogReconcileFailed(Exception ex, string vmId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: publishing an event failed")]
    private partial void LogPublishFailed(Exception ex, string vmId);
}

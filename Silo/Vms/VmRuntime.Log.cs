using Formation.Silo.Hypervisors;

namespace Formation.Silo.Vms;

public sealed partial class VmRuntime
{
    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: prepared in {Milliseconds} ms (artifacts, disk, network)")]
    private partial void LogPrepared(string vmId, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: guest ready ({Address})")]
    private partial void LogReady(string vmId, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: process ended: {Kind} ({Detail})")]
    private partial void LogExited(string vmId, VmExitKind kind, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: stopped: {Kind} ({Detail})")]
    private partial void LogStopped(string vmId, VmExitKind kind, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: deleted from this node")]
    private partial void LogDeleted(string vmId);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: re-adopted running process {Pid}")]
    private partial void LogAdopted(string vmId, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: its process is gone; it will be reported Failed")]
    private partial void LogVanished(string vmId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: could not {Operation} it")]
    private partial void LogOperationFailed(Exception ex, string operation, string vmId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not set up bridge {Bridge}; VMs on this node will fail to start until it works")]
    private partial void LogBridgeFailed(Exception ex, string bridge);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: the clone's guest took its own identity (address {Address}); its TAP is on the bridge")]
    private partial void LogCloneIdentity(string vmId, string address);
}

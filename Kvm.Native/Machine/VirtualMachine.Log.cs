using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;

namespace Formation.Kvm.Native.Machine;

public sealed partial class VirtualMachine
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Starting VM: {Vcpus} vCPUs, {MemoryMiB} MiB, nested-PVM compatibility {PvmCompat}, cmdline \"{CommandLine}\"")]
    private partial void LogStarting(int vcpus, int memoryMiB, bool pvmCompat, string commandLine);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM paused")]
    private partial void LogPaused();

    [LoggerMessage(Level = LogLevel.Information, Message = "VM resumed")]
    private partial void LogResumed();

    [LoggerMessage(Level = LogLevel.Information, Message = "Graceful shutdown: Ctrl-Alt-Del sent, deadline {DeadlineSeconds} s")]
    private partial void LogShutdown(double deadlineSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM stopping: {Reason} (exit status {Status}): {Detail}")]
    private partial void LogStopping(ExitReason reason, int status, string detail);
}

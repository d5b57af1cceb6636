using Formation.Silo.Platform;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>How drivers tell a VM's grain what they observed (booted, stopped, crashed).</summary>
public sealed partial class VmReporter(IGrainFactory grains, NodeIdentity node, ILogger<VmReporter> logger)
{
    public Task ReportAsync(string vmId, VmState observed, string? reason) => ReportAsync(vmId, new HostReport(observed, reason));

    public async Task ReportAsync(string vmId, HostReport report)
    {
        try
        {
            await grains.GetGrain<IVmGrain>(GrainKeys.Vm(node.NodeId, vmId)).ReportAsync(report);
        }
        catch (Exception ex)
        {
            LogReportFailed(ex, vmId, report.State);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report {Observed} for VM {VmId} to its grain")]
    private partial void LogReportFailed(Exception ex, string vmId, VmState observed);
}

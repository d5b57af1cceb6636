using Formation.Errors;
using Formation.LocalApi;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>
/// Waiting for a VM to reach a state by polling it. Free of Orleans and System.CommandLine so the NativeAOT front end
/// (Cli.Fast) compiles this same file for <c>form vm create</c>.
/// </summary>
public static class VmPolling
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Polls the VM through the front door (local API or gateway) until it reaches <paramref name="target"/> or fails.
    /// The caller has just read its state (the create's answer), so the first poll comes after the first interval.
    /// </summary>
    public static Task<VmInfo> WaitForAsync(IFormationReads reads, string vmId, VmState target, CancellationToken cancellationToken) =>
        PollAsync(() => reads.GetVmInfoAsync(vmId, cancellationToken), target, cancellationToken, null, justRead: true);

    internal static async Task<VmInfo> PollAsync(
        Func<Task<VmInfo>> get, VmState target, CancellationToken cancellationToken, TimeSpan? patience, bool justRead = false)
    {
        var wait = patience ?? TimeSpan.FromMinutes(5);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            if (justRead)
            {
                await Task.Delay(Interval, cancellationToken);
            }

            justRead = true;
            var info = await get();
            if (info.State == target || info.State == VmState.Failed)
            {
                return info;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new FormationException(ErrorKind.HostFailure,
                    $"VM {info.Name} did not reach {target} within {wait.TotalMinutes:0} minutes (it is {info.State}: {info.Reason}).");
            }
        }
    }
}

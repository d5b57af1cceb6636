using Formation.Errors;
using Formation.LocalApi;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>
/// Waiting for a VM to reach a state. Free of Orleans and System.CommandLine so the NativeAOT front end (Cli.Fast)
/// compiles this same file for <c>form vm create</c>.
/// </summary>
public static class VmPolling
{
    /// <summary>Between two answers that came back at once without the state: a silo that does not wait (older than the waiting reads).</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a command waits for a state in all.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Waits through the front door (local API or gateway) until the VM reaches <paramref name="target"/> or fails: each
    /// call is answered by the silo when the state changes (or after <see cref="VmWaits.MaxPatience"/>), so nothing polls.
    /// </summary>
    public static Task<VmInfo> WaitForAsync(IFormationReads reads, string vmId, VmState target, CancellationToken cancellationToken) =>
        PollAsync(() => reads.WaitForVmAsync(vmId, target, cancellationToken), target, cancellationToken);

    /// <summary>
    /// Calls <paramref name="wait"/> until it returns the VM in <paramref name="target"/> or Failed, or
    /// <see cref="Patience"/> runs out. An answer without the state that came back at once is followed by a pause, so that a
    /// call that does not wait (an older silo) is polled, not spun on.
    /// </summary>
    internal static async Task<VmInfo> PollAsync(Func<Task<VmInfo>> wait, VmState target, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var asked = DateTime.UtcNow;
            var info = await wait();
            if (info.State == target || info.State == VmState.Failed)
            {
                return info;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new FormationException(ErrorKind.HostFailure,
                    $"VM {info.Name} did not reach {target} within {Patience.TotalMinutes:0} minutes (it is {info.State}: {info.Reason}).");
            }

            if (DateTime.UtcNow - asked < Interval)
            {
                await Task.Delay(Interval, cancellationToken);
            }
        }
    }
}

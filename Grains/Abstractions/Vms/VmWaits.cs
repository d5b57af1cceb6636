namespace Formation.Vms;

/// <summary>
/// How long one call may wait for a VM's state (<c>IVmGrain.WaitForAsync</c>, the local API's waiting reads):
/// well inside Orleans' 30 s response timeout and the local API's 30 s connection deadline. A command that waits longer
/// calls again.
/// </summary>
public static class VmWaits
{
    public static readonly TimeSpan MaxPatience = TimeSpan.FromSeconds(20);

    /// <summary><paramref name="patience"/> within zero and <see cref="MaxPatience"/>.</summary>
    public static TimeSpan Clamp(TimeSpan patience) =>
        patience < TimeSpan.Zero ? TimeSpan.Zero : patience > MaxPatience ? MaxPatience : patience;
}

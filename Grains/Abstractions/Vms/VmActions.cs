namespace Formation.Vms;

/// <summary>
/// The lifecycle actions as both clients offer them: the verb, what it does, the state it leads to, whether it destroys
/// work in progress (the dashboard asks first), and in which states the VM grain accepts it.
/// </summary>
public static class VmActions
{
    public static IReadOnlyList<VmAction> All { get; } = Enum.GetValues<VmAction>();

    /// <summary>The CLI verb (<c>form vm stop</c>) and the dashboard's button label, lower case.</summary>
    public static string Verb(VmAction action) => action.ToString().ToLowerInvariant();

    public static string Description(VmAction action) => action switch
    {
        VmAction.Start => "Boot a stopped or failed VM",
        VmAction.Stop => "Shut a VM down (graceful)",
        VmAction.Pause => "Stop a running VM's vCPUs",
        VmAction.Resume => "Continue a paused VM",
        VmAction.Reboot => "Reset a running VM's guest and wait until it is ready again",
        _ => "Remove a VM and release its capacity",
    };

    /// <summary>The state the action ends in when it succeeds.</summary>
    public static VmState Target(VmAction action) => action switch
    {
        VmAction.Start or VmAction.Resume or VmAction.Reboot => VmState.Running,
        VmAction.Stop => VmState.Stopped,
        VmAction.Pause => VmState.Paused,
        _ => VmState.Deleted,
    };

    /// <summary>Stops what the guest is doing or removes the VM: ask before doing it.</summary>
    public static bool IsDestructive(VmAction action) => action is VmAction.Stop or VmAction.Reboot or VmAction.Delete;

    /// <summary>True when the VM grain accepts <paramref name="action"/> in <paramref name="state"/> (see <see cref="IVmGrain"/>).</summary>
    public static bool IsOffered(VmAction action, VmState state) => action switch
    {
        VmAction.Start => state is VmState.Stopped or VmState.Failed,
        VmAction.Stop => state is VmState.Running or VmState.Paused,
        VmAction.Pause => state is VmState.Running,
        VmAction.Resume => state is VmState.Paused,
        VmAction.Reboot => state is VmState.Running or VmState.Paused,
        _ => state is not (VmState.Deleting or VmState.Deleted),
    };

    /// <summary>Asks the VM's grain.</summary>
    public static Task<VmInfo> InvokeAsync(IVmGrain grain, VmAction action) => action switch
    {
        VmAction.Start => grain.StartAsync(),
        VmAction.Stop => grain.StopAsync(),
        VmAction.Pause => grain.PauseAsync(),
        VmAction.Resume => grain.ResumeAsync(),
        VmAction.Reboot => grain.RebootAsync(),
        _ => grain.DeleteAsync(),
    };
}

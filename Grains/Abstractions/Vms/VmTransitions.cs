namespace Formation.Vms;

/// <summary>The VM state machine: which state may follow which. One table, used by grains and clients.</summary>
public static class VmTransitions
{
    private static readonly VmState[][] Allowed = Build();

    /// <summary>True when a VM in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool IsAllowed(VmState from, VmState to) => Array.IndexOf(Allowed[(int)from], to) >= 0;

    /// <summary>The states a VM in <paramref name="from"/> may move to.</summary>
    public static IReadOnlyList<VmState> Next(VmState from) => Allowed[(int)from];

    /// <summary>True for states in which the VM holds its host's resources.</summary>
    public static bool HoldsCapacity(VmState state) => state is not (VmState.Deleted or VmState.Pending);

    private static VmState[][] Build()
    {
        var table = new VmState[Enum.GetValues<VmState>().Length][];
        table[(int)VmState.Pending] = [VmState.Scheduled, VmState.Failed, VmState.Deleting];
        table[(int)VmState.Scheduled] = [VmState.Provisioning, VmState.Failed, VmState.Deleting];
        // Stopped straight from Provisioning/Running/Paused: the guest powered itself off (no stop was requested).
        table[(int)VmState.Provisioning] = [VmState.Running, VmState.Failed, VmState.Stopping, VmState.Stopped, VmState.Deleting, VmState.Lost];
        table[(int)VmState.Running] =
            [VmState.Paused, VmState.Stopping, VmState.Stopped, VmState.Failed, VmState.Deleting, VmState.Lost, VmState.Provisioning];
        table[(int)VmState.Paused] =
            [VmState.Running, VmState.Stopping, VmState.Stopped, VmState.Failed, VmState.Deleting, VmState.Lost, VmState.Provisioning];
        table[(int)VmState.Stopping] = [VmState.Stopped, VmState.Failed, VmState.Deleting, VmState.Lost];
        table[(int)VmState.Stopped] = [VmState.Provisioning, VmState.Deleting, VmState.Lost];
        table[(int)VmState.Deleting] = [VmState.Deleted, VmState.Failed];
        table[(int)VmState.Deleted] = [];
        table[(int)VmState.Failed] = [VmState.Provisioning, VmState.Stopped, VmState.Deleting, VmState.Lost];
        table[(int)VmState.Lost] =
        [
            VmState.Provisioning, VmState.Running, VmState.Paused, VmState.Stopped, VmState.Failed, VmState.Deleting,
        ];
        return table;
    }
}

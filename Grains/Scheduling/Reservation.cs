using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>
/// Resources held for one VM on one node, since <paramref name="ReservedAt"/> (the placement, or its latest retry). Rows
/// stored before the time was recorded read as the earliest time, so the next reconciliation checks them at once.
/// <paramref name="Owner"/> is the account charged for it (its quota); rows from before accounts are the admin's.
/// While the VM migrates, <paramref name="MovingTo"/> names the node it is moving to, where the same resources are held
/// too (charged to the account's quota once): both nodes have the room until the move ends one way or the other.
/// </summary>
public sealed record Reservation(string NodeId, NodeCapacity Resources, DateTimeOffset ReservedAt = default, string? Owner = null,
    string? MovingTo = null)
{
    public string Account => Owner ?? Formation.Identity.Caller.AdminAccount;
}

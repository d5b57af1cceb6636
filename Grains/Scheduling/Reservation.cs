using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>
/// Resources held for one VM on one node, since <paramref name="ReservedAt"/> (the placement, or its latest retry). Rows
/// stored before the time was recorded read as the earliest time, so the next reconciliation checks them at once.
/// <paramref name="Owner"/> is the account charged for it (its quota); rows from before accounts are the admin's.
/// </summary>
public sealed record Reservation(string NodeId, NodeCapacity Resources, DateTimeOffset ReservedAt = default, string? Owner = null)
{
    public string Account => Owner ?? Formation.Identity.Caller.AdminAccount;
}

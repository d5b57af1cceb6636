namespace Formation.Grains.Scheduling;

/// <summary>
/// Which reservations to check for a VM behind them. A reservation is made by <c>PlaceAsync</c> just before the VM's
/// <c>CreateAsync</c>; a caller that dies in between (its silo killed) leaves it with no VM, holding capacity forever.
/// One younger than the grace period may still have its create on the way and is left alone.
/// </summary>
public static class ReservationAudit
{
    /// <summary>The VM ids whose reservations are older than <paramref name="grace"/> at <paramref name="now"/>, oldest first.</summary>
    public static IReadOnlyList<string> Due(IReadOnlyDictionary<string, Reservation> reservations, DateTimeOffset now, TimeSpan grace)
    {
        var due = new List<(string VmId, DateTimeOffset At)>();
        foreach (var (vmId, reservation) in reservations)
        {
            if (now - reservation.ReservedAt > grace)
            {
                due.Add((vmId, reservation.ReservedAt));
            }
        }

        due.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : string.CompareOrdinal(a.VmId, b.VmId));
        return due.ConvertAll(d => d.VmId);
    }
}

namespace Formation.Grains.Scheduling;

/// <summary>What is reserved for which VM on which node (written on every placement and release, group-committed).</summary>
[GenerateSerializer]
[Alias("formation.scheduler-reservations")]
public sealed class SchedulerReservationsState
{
    [Id(0)] public Dictionary<string, Reservation> Reservations { get; set; } = [];
}

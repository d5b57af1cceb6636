namespace Formation.Grains.Scheduling;

/// <summary>How the scheduler judges node health and audits reservations (section Formation:Scheduler).</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Formation:Scheduler";

    /// <summary>How often silos send heartbeats.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A node without a heartbeat for this long is Unhealthy (and its VMs shown Lost).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the scheduler checks heartbeats.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a reservation may exist without a VM before it is released: longer than any create takes between its
    /// placement and the VM grain's first write (and than a client's retries of it).
    /// </summary>
    public TimeSpan ReservationGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the scheduler looks for reservations with no VM behind them (also once when it starts).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a node's measured load (sent with its heartbeats) counts for placement; an older figure is ignored and the
    /// node counts as unknown. Zero places by reservations alone.
    /// </summary>
    public TimeSpan LoadMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What is wrong with these options, each saying what to do (empty when nothing is).</summary>
    public IEnumerable<string> Problems()
    {
        if (ReservationGrace < TimeSpan.FromSeconds(1))
        {
            yield return $"Scheduler:ReservationGrace {ReservationGrace} is too short: use at least 00:00:01 (default 00:05:00).";
        }

        if (ReconcileInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"Scheduler:ReconcileInterval {ReconcileInterval} is too short: use at least 00:00:01 (default 00:01:00).";
        }

        if (LoadMaxAge < TimeSpan.Zero)
        {
            yield return $"Scheduler:LoadMaxAge {LoadMaxAge} is negative: use 00:00:00 to place by reservations alone, or a positive age (default 00:00:30).";
        }
    }
}

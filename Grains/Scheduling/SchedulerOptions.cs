namespace Formation.Grains.Scheduling;

/// <summary>How the scheduler judges node health.</summary>
public sealed class SchedulerOptions
{
    /// <summary>How often silos send heartbeats.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A node without a heartbeat for this long is Unhealthy (and its VMs shown Lost).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the scheduler checks heartbeats.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);
}

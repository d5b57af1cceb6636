using Formation.Errors;

namespace Formation.Services;

/// <summary>
/// How a service's replicas are checked, from the node that hosts each: an HTTP GET of <see cref="HttpPath"/> on
/// <see cref="Port"/> that answers 2xx or 3xx, or (no path) a TCP connection to <see cref="Port"/>; every
/// <see cref="Interval"/>, each check given that long. A new replica serves once a check passes, and fails the rollout
/// when none has passed within <see cref="StartPeriod"/>; a serving replica whose last <see cref="Threshold"/> checks
/// failed is out of DNS and the proxy and is rebooted.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.health-check")]
public sealed record HealthCheck(
    [property: Id(0)] int Port,
    [property: Id(1)] string? HttpPath,
    [property: Id(2)] TimeSpan Interval,
    [property: Id(3)] int Threshold,
    [property: Id(4)] TimeSpan StartPeriod)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);
    public const int DefaultThreshold = 3;
    public static readonly TimeSpan DefaultStartPeriod = TimeSpan.FromSeconds(60);

    /// <summary>The limits <see cref="Validate"/> holds a check to (the Formfile parser reports the same with a position).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(5);
    public const int MaxThreshold = 20;
    public static readonly TimeSpan MaxStartPeriod = TimeSpan.FromHours(1);
    public const int MaxPathLength = 1024;

    /// <summary>Whether <paramref name="path"/> can be asked for: starts with '/', no spaces or control characters, at most <see cref="MaxPathLength"/>.</summary>
    public static bool IsValidPath(string path) =>
        path.StartsWith('/') && path.Length <= MaxPathLength && !path.Any(char.IsControl) && !path.Contains(' ');

    public override string ToString() => HttpPath is null ? $"tcp {Port}" : $"http {Port}{HttpPath}";

    /// <summary>Throws an InvalidArgument error naming what is wrong.</summary>
    public void Validate()
    {
        if (Port is < 1 or > 65535)
        {
            throw FormationException.Invalid($"Health check port {Port} is out of range: use 1-65535.");
        }

        if (HttpPath is not null && !IsValidPath(HttpPath))
        {
            throw FormationException.Invalid($"Health check path '{HttpPath}' must start with '/' and hold no spaces or control characters.");
        }

        if (Interval < MinInterval || Interval > MaxInterval)
        {
            throw FormationException.Invalid($"Health check interval {Interval.TotalSeconds:0.#} s is out of range: use 0.5 s to 5 minutes.");
        }

        if (Threshold < 1 || Threshold > MaxThreshold)
        {
            throw FormationException.Invalid($"Health check threshold {Threshold} is out of range: use 1-20 failed checks in a row.");
        }

        if (StartPeriod < Interval || StartPeriod > MaxStartPeriod)
        {
            throw FormationException.Invalid($"Health check start period {StartPeriod.TotalSeconds:0.#} s must be at least the interval and at most an hour.");
        }
    }
}

/// <summary>What the health of one replica is, as the service sees it.</summary>
[GenerateSerializer]
[Alias("formation.replica-health")]
public enum ReplicaHealth
{
    /// <summary>The revision has no health check: running is healthy.</summary>
    None = 0,

    /// <summary>No check has passed yet (within the start period).</summary>
    Pending = 1,

    Passing = 2,

    /// <summary>It passed before, and its last checks (the threshold) failed.</summary>
    Failing = 3,

    /// <summary>No check passed within the start period.</summary>
    TimedOut = 4,
}

/// <summary>One check's outcome, sent by the prober of the replica's node.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.health-report")]
public sealed record HealthReport(
    [property: Id(0)] string VmId,
    [property: Id(1)] bool Ok,
    [property: Id(2)] string Detail);

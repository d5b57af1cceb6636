namespace Formation.Silo.Metrics;

/// <summary>
/// Says once, per kind, that a metric is missing on this host (an older kernel without a cgroup file, a data directory on
/// tmpfs): collection goes on with fewer metrics instead of logging an error every interval.
/// </summary>
public sealed partial class MetricsWarnings(ILogger<MetricsWarnings> logger)
{
    private readonly HashSet<string> _said = [];

    /// <summary>Logs <paramref name="message"/> the first time <paramref name="kind"/> comes up; true if it did.</summary>
    public bool Once(string kind, string message)
    {
        lock (_said)
        {
            if (!_said.Add(kind))
            {
                return false;
            }
        }

        LogFewerMetrics(message);
        return true;
    }

    public bool Said(string kind)
    {
        lock (_said)
        {
            return _said.Contains(kind);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics: {Message} (said once)")]
    private partial void LogFewerMetrics(string message);
}

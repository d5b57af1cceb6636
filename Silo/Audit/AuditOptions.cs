namespace Formation.Silo.Audit;

/// <summary>
/// How the silo keeps its audit trail (section "Formation:Audit", e.g. <c>Formation__Audit__RetentionDays=30</c>). Rows
/// are queued on the request path and written in batches by a background loop; the queue is bounded so a slow database
/// costs audit rows (counted and logged), never a request.
/// </summary>
public sealed class AuditOptions
{
    public const string Section = "Formation:Audit";

    /// <summary>Rows waiting to be written before new ones are dropped.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Most rows written in one transaction.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Longest a row waits in the queue before its batch is written (the queue is written at once when it fills a batch).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Rows older than this many days are deleted.</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>At most this many rows are kept (the oldest go first).</summary>
    public long MaxRows { get; set; } = 1_000_000;

    /// <summary>How often the retention runs (also once at start).</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest a clean shutdown waits for the queue to be written.</summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

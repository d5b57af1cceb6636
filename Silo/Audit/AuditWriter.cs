using System.Threading.Channels;
using Formation.Audit;

namespace Formation.Silo.Audit;

/// <summary>
/// Takes audit rows off the request path: <see cref="TryRecord"/> only enqueues (never waits, never throws), and one
/// background loop writes them in batches of up to <see cref="AuditOptions.BatchSize"/>. When the queue is full a row is
/// dropped, counted in <see cref="Dropped"/> and reported in the log (at most every 10 s), because a request must not fail
/// or wait for its audit row. A clean silo stop writes what is queued (bounded by
/// <see cref="AuditOptions.ShutdownFlushTimeout"/>). The retention runs at start and then every
/// <see cref="AuditOptions.RetentionInterval"/>.
/// </summary>
public sealed partial class AuditWriter : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private const int Attempts = 3;

    private readonly SqlAuditTrail _trail;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditWriter> _logger;
    private readonly Channel<AuditEntry> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private Task _writing = Task.CompletedTask;
    private Task _trimming = Task.CompletedTask;
    private long _dropped;
    private long _written;
    private long _lastDropLog = long.MinValue;

    public AuditWriter(SqlAuditTrail trail, AuditOptions options, TimeProvider time, ILogger<AuditWriter> logger)
    {
        _trail = trail;
        _options = options;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once instead of dropping silently
        });
    }

    /// <summary>Rows not recorded: the queue was full, the silo was stopping, or the database refused a batch three times.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Rows written to the database.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues <paramref name="entry"/>; false (and counted) when it had to be dropped.</summary>
    public bool TryRecord(AuditEntry entry)
    {
        if (_queue.Writer.TryWrite(entry))
        {
            return true;
        }

        var dropped = Interlocked.Increment(ref _dropped);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= DropLogInterval)
            && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            LogDropped(_options.QueueCapacity, dropped);
        }

        return false;
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        // Started after the schema (first stage) and stopped after the grains that record rows have stopped taking calls.
        lifecycle.Subscribe(nameof(AuditWriter), ServiceLifecycleStage.RuntimeStorageServices, StartAsync, StopAsync);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writing = Task.Run(WriteLoopAsync, CancellationToken.None);
        _trimming = Task.Run(TrimLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Writes what is queued, then ends the loops; rows recorded after this are dropped and counted.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_writing, _trimming).WaitAsync(_options.ShutdownFlushTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            LogFlushIncomplete(_queue.Reader.Count);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<AuditEntry>(_options.BatchSize);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            // Let a batch gather for a moment, unless it is full already or the silo is stopping.
            if (!_stopping.IsCancellationRequested && _queue.Reader.Count < _options.BatchSize)
            {
                try
                {
                    await Task.Delay(_options.FlushInterval, _time, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: write at once.
                }
            }

            batch.Clear();
            while (batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<AuditEntry> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _trail.WriteAsync(batch, CancellationToken.None);
                Interlocked.Add(ref _written, batch.Count);
                return;
            }
            catch (Exception e) when (attempt < Attempts && !_stopping.IsCancellationRequested)
            {
                LogWriteRetry(e, batch.Count, attempt);
                try
                {
                    await Task.Delay(RetryDelay, _time, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: one last attempt without waiting.
                }
            }
            catch (Exception e)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                LogWriteFailed(e, batch.Count);
                return;
            }
        }
    }

    private async Task TrimLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.RetentionInterval, _time);
        do
        {
            try
            {
                var cutoff = _time.GetUtcNow().AddDays(-_options.RetentionDays);
                var removed = await _trail.TrimAsync(cutoff, _options.MaxRows, _stopping.Token);
                if (removed > 0)
                {
                    LogTrimmed(removed, _options.RetentionDays, _options.MaxRows);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogTrimFailed(e);
            }
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: the queue of {Capacity} rows is full (the database is slow or gone); rows are being dropped, {Dropped} so far. Requests are not affected")]
    private partial void LogDropped(int capacity, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: writing {Rows} row(s) failed (attempt {Attempt}); retrying")]
    private partial void LogWriteRetry(Exception e, int rows, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit: {Rows} row(s) could not be written and are dropped")]
    private partial void LogWriteFailed(Exception e, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: the silo stopped before {Rows} queued row(s) were written")]
    private partial void LogFlushIncomplete(int rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit: retention removed {Rows} row(s) (keeping {Days} days, at most {MaxRows} rows)")]
    private partial void LogTrimmed(int rows, int days, long maxRows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: the retention could not trim the trail; it tries again later")]
    private partial void LogTrimFailed(Exception e);
}

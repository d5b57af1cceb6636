using Formation.Vmm.Protocol;

namespace Formation.Silo.Hypervisors;

/// <summary>
/// Keeps a console log that another process writes — QEMU, which cannot be told to cap it — within its
/// <see cref="ConsoleLogCap"/>: trims it every interval while the VM runs, and once more when it ends. Between two trims
/// the log can pass the cap by what the guest prints in one interval; while the silo is down nothing trims it, and the
/// first trim after the silo is back (re-adoption) brings it under the cap again.
/// </summary>
public sealed partial class ConsoleLogTrimmer : IAsyncDisposable
{
    private readonly string _path;
    private readonly ConsoleLogCap _cap;
    private readonly string _vmId;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _lock = new();
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private bool _unsupported, _disposed;

    private ConsoleLogTrimmer(string path, ConsoleLogCap cap, TimeSpan interval, string vmId, ILogger logger)
    {
        _path = path;
        _cap = cap;
        _vmId = vmId;
        _logger = logger;
        _loop = LoopAsync(interval);
    }

    /// <summary>Starts trimming <paramref name="path"/> every <paramref name="interval"/>.</summary>
    public static ConsoleLogTrimmer Start(string path, ConsoleLogCap cap, TimeSpan interval, string vmId, ILogger logger)
    {
        if (cap.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(cap));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return new ConsoleLogTrimmer(path, cap, interval, vmId, logger);
    }

    /// <summary>Trims once now; returns how many bytes were dropped.</summary>
    public long TrimNow()
    {
        lock (_lock)
        {
            if (_unsupported || _disposed)
            {
                return 0;
            }

            try
            {
                if (_file is null)
                {
                    if (!File.Exists(_path))
                    {
                        return 0;
                    }

                    _file = File.OpenHandle(_path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                }

                var dropped = ConsoleLogFile.Trim(_file, _cap);
                if (dropped > 0)
                {
                    LogTrimmed(_vmId, dropped);
                }

                return dropped;
            }
            catch (IOException ex)
            {
                _unsupported = true; // say it once, not four times a second
                LogCannotTrim(_vmId, _cap.MaxBytes, ex.Message);
                return 0;
            }
        }
    }

    /// <summary>Stops the loop after one last trim.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            await _loop;
            return;
        }

        await _stop.CancelAsync();
        await _loop;
        TrimNow();
        lock (_lock)
        {
            _disposed = true;
            _file?.Dispose();
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                TrimNow();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "VM {VmId}: dropped {Bytes} bytes of old console output")]
    private partial void LogTrimmed(string vmId, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: the console log cannot be kept under {Cap} bytes: {Reason}")]
    private partial void LogCannotTrim(string vmId, long cap, string reason);
}

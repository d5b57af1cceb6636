using Formation.Vmm.Protocol;
using Microsoft.Win32.SafeHandles;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// The guest console's output side: the UART writes bytes here; they go to the log file and to every
/// attached client, flushed at each newline, after 20 ms or at 64 KiB. A slow client never blocks the guest: its
/// backlog is capped and it is dropped when it overflows. The last 16 KiB are kept for new clients.
/// The log is capped (<see cref="ConsoleLogCap"/>): before an append would take it past the cap, its oldest output is
/// dropped (<see cref="ConsoleLogFile"/>), so a guest that floods its console never holds more than the cap on disk.
/// </summary>
public sealed class ConsoleHub : Stream
{
    public const int TailSize = 16 * 1024;
    public const int ClientBacklog = 1024 * 1024;

    /// <summary>Pending output is flushed once it reaches this size (well under any cap's largest append).</summary>
    public const int MaxChunk = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly SafeFileHandle? _log;
    private readonly ConsoleLogCap _cap;
    private readonly Action<string>? _warn;
    private long _logStart, _logEnd;
    private bool _logStopped, _logFailing;
    private readonly MemoryStream _pending = new();
    private readonly byte[] _tail = new byte[TailSize];
    private readonly List<Client> _clients = [];
    private readonly Thread _flusher;
    private long _tailLength;
    private bool _disposed;

    /// <param name="logPath">Console log file (appended), or null for none.</param>
    /// <param name="cap">How much output the log keeps (default 16 MiB).</param>
    /// <param name="warn">Told when the log cannot be written or trimmed.</param>
    public ConsoleHub(string? logPath, ConsoleLogCap? cap = null, Action<string>? warn = null)
    {
        _cap = cap ?? new ConsoleLogCap();
        if (_cap.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(cap));
        }

        _warn = warn;
        if (logPath is not null)
        {
            _log = File.OpenHandle(logPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            _logEnd = RandomAccess.GetLength(_log);
            _logStart = ConsoleLogFile.DataStart(_log);
        }

        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "console flush" };
        _flusher.Start();
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Attaches a client; <paramref name="send"/> gets output chunks in order on a background thread.</summary>
    public IDisposable Attach(Func<ReadOnlyMemory<byte>, Task> send, bool replayTail = true)
    {
        var client = new Client(send);
        lock (_lock)
        {
            if (replayTail && _tailLength > 0)
            {
                client.Enqueue(Tail());
            }

            _clients.Add(client);
        }

        return new Detach(this, client);
    }

    /// <summary>The most recent output (up to 16 KiB).</summary>
    public byte[] Tail()
    {
        lock (_lock)
        {
            var n = (int)Math.Min(_tailLength, TailSize);
            var result = new byte[n];
            var start = (int)((_tailLength - n) % TailSize);
            for (var i = 0; i < n; i++)
            {
                result[i] = _tail[(start + i) % TailSize];
            }

            return result;
        }
    }

    public override void WriteByte(byte value)
    {
        lock (_lock)
        {
            _pending.WriteByte(value);
            _tail[_tailLength++ % TailSize] = value;
            if (value == (byte)'\n' || _pending.Length >= MaxChunk)
            {
                FlushPending();
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        foreach (var b in buffer)
        {
            WriteByte(b);
        }
    }

    public override void Flush()
    {
        lock (_lock)
        {
            FlushPending();
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            FlushPending();
            _disposed = true;
            _log?.Dispose();
            foreach (var c in _clients)
            {
                c.Close();
            }

            _clients.Clear();
        }

        base.Dispose(disposing);
    }

    private void FlushPending()
    {
        if (_pending.Length == 0 || _disposed)
        {
            return;
        }

        var chunk = _pending.ToArray();
        _pending.SetLength(0);
        AppendToLog(chunk);

        for (var i = _clients.Count - 1; i >= 0; i--)
        {
            if (!_clients[i].Enqueue(chunk))
            {
                _clients[i].Close();
                _clients.RemoveAt(i);
            }
        }
    }

    /// <summary>Appends to the log, first dropping its oldest output when the append would take it past the cap.</summary>
    private void AppendToLog(byte[] chunk)
    {
        if (_log is null || _logStopped)
        {
            return;
        }

        try
        {
            var keepFrom = _cap.KeepFrom(_logStart, _logEnd, chunk.Length);
            if (keepFrom != _logStart)
            {
                if (!ConsoleLogFile.TryDrop(_log, _logStart, keepFrom, out var errno))
                {
                    // Without hole punching the cap could only be kept by stopping: the log keeps what it has.
                    _logStopped = true;
                    _warn?.Invoke($"the console log reached its cap of {_cap.MaxBytes} bytes and its file system cannot drop old " +
                                  $"output (fallocate PUNCH_HOLE: errno {errno}); further console output is not logged");
                    return;
                }

                _logStart = keepFrom;
            }

            RandomAccess.Write(_log, chunk, _logEnd);
            _logEnd += chunk.Length;
            _logFailing = false;
        }
        catch (IOException e)
        {
            // Log disk full or gone: keep serving clients (and say so once, not per line).
            if (!_logFailing)
            {
                _logFailing = true;
                _warn?.Invoke($"writing the console log failed: {e.Message}");
            }
        }
    }

    private void FlushLoop()
    {
        while (true)
        {
            Thread.Sleep(20);
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                FlushPending();
            }
        }
    }

    private void Remove(Client client)
    {
        lock (_lock)
        {
            _clients.Remove(client);
        }

        client.Close();
    }

    private sealed class Detach(ConsoleHub hub, Client client) : IDisposable
    {
        public void Dispose() => hub.Remove(client);
    }

    /// <summary>One attached client with its own ordered send loop and a capped backlog.</summary>
    private sealed class Client
    {
        private readonly Func<ReadOnlyMemory<byte>, Task> _send;
        private readonly Queue<byte[]> _queue = new();
        private readonly Lock _lock = new();
        private long _backlog;
        private bool _sending, _closed;

        public Client(Func<ReadOnlyMemory<byte>, Task> send) => _send = send;

        public bool Enqueue(byte[] chunk)
        {
            lock (_lock)
            {
                if (_closed || _backlog + chunk.Length > ClientBacklog)
                {
                    return false;
                }

                _queue.Enqueue(chunk);
                _backlog += chunk.Length;
                if (!_sending)
                {
                    _sending = true;
                    _ = Task.Run(SendLoop);
                }

                return true;
            }
        }

        public void Close()
        {
            lock (_lock)
            {
                _closed = true;
                _queue.Clear();
            }
        }

        private async Task SendLoop()
        {
            while (true)
            {
                byte[] chunk;
                lock (_lock)
                {
                    if (_closed || !_queue.TryDequeue(out chunk!))
                    {
                        _sending = false;
                        return;
                    }

                    _backlog -= chunk.Length;
                }

                try
                {
                    await _send(chunk).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    Close();
                    return;
                }
            }
        }
    }
}

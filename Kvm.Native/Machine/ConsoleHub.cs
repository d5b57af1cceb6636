namespace Formation.Kvm.Native.Machine;

/// <summary>
/// The guest console's output side: the UART writes bytes here; they go to the log file and to every
/// attached client, flushed at each newline or after 20 ms. A slow client never blocks the guest: its
/// backlog is capped and it is dropped when it overflows. The last 16 KiB are kept for new clients.
/// </summary>
public sealed class ConsoleHub : Stream
{
    public const int TailSize = 16 * 1024;
    public const int ClientBacklog = 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Stream? _log;
    private readonly MemoryStream _pending = new();
    private readonly byte[] _tail = new byte[TailSize];
    private readonly List<Client> _clients = [];
    private readonly Thread _flusher;
    private long _tailLength;
    private bool _disposed;

    /// <param name="logPath">Console log file (appended), or null for none.</param>
    public ConsoleHub(string? logPath)
    {
        if (logPath is not null)
        {
            _log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
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
            if (value == (byte)'\n')
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
        try
        {
            _log?.Write(chunk);
            _log?.Flush();
        }
        catch (IOException)
        {
            // Log disk full or gone: keep serving clients.
        }

        for (var i = _clients.Count - 1; i >= 0; i--)
        {
            if (!_clients[i].Enqueue(chunk))
            {
                _clients[i].Close();
                _clients.RemoveAt(i);
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

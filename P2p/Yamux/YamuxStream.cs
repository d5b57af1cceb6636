namespace Formation.P2p.Yamux;

/// <summary>
/// One yamux stream: a duplex byte stream with flow control. <see cref="CloseWriteAsync"/> half-closes (FIN);
/// reads return 0 after the peer's FIN and throw <see cref="IOException"/> after a reset.
/// </summary>
public sealed class YamuxStream : DuplexStream
{
    private readonly YamuxSession _session;
    private readonly Lock _gate = new();
    private readonly Queue<byte[]> _segments = new();
    private int _segmentOffset;
    private long _receiveWindow = YamuxOptions.InitialWindow;
    private long _receiveRemaining = YamuxOptions.InitialWindow;
    private long _consumed;
    private long _sendWindow = YamuxOptions.InitialWindow;
    private TaskCompletionSource? _readWaiter;
    private TaskCompletionSource? _sendWaiter;
    private bool _remoteFin;
    private bool _localFin;
    private bool _reset;
    private bool _sessionClosed;
    private bool _disposed;

    internal YamuxStream(YamuxSession session, uint id, bool inbound)
    {
        _session = session;
        Id = id;
        IsInbound = inbound;
    }

    /// <summary>The stream id (odd: opened by the dialer of the connection; even: by the listener).</summary>
    public uint Id { get; }

    /// <summary>True if the peer opened this stream.</summary>
    public bool IsInbound { get; }

    internal long ReceiveWindowGrowth => _receiveWindow - YamuxOptions.InitialWindow;

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TaskCompletionSource waiter;
            uint credit = 0;
            int n;
            lock (_gate)
            {
                if (_segments.Count > 0)
                {
                    n = Take(buffer.Span);
                    credit = CreditAfterRead(n);
                }
                else if (_reset)
                {
                    throw new IOException($"stream {Id} was reset");
                }
                else if (_remoteFin)
                {
                    return 0;
                }
                else if (_sessionClosed)
                {
                    throw new IOException("the connection is closed");
                }
                else
                {
                    n = -1;
                }

                waiter = null!;
                if (n < 0)
                {
                    waiter = _readWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            if (n >= 0)
            {
                if (credit > 0)
                {
                    await SendFrameAsync(YamuxFrame.WindowUpdate, 0, credit, cancellationToken).ConfigureAwait(false);
                }

                return n;
            }

            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            TaskCompletionSource? waiter = null;
            var n = 0;
            lock (_gate)
            {
                ThrowIfCannotWrite();
                if (_sendWindow == 0)
                {
                    waiter = _sendWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                else
                {
                    n = (int)Math.Min(Math.Min(_sendWindow, buffer.Length), _session.Options.MaxDataFrame);
                    _sendWindow -= n;
                }
            }

            if (waiter is not null)
            {
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            await _session.WriteFrameAsync(new YamuxFrame(YamuxFrame.Data, 0, Id, (uint)n), buffer[..n], cancellationToken).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }

    /// <summary>Half-closes: sends FIN; the peer reads end of stream, this side can still read.</summary>
    public async Task CloseWriteAsync(CancellationToken cancellationToken = default)
    {
        bool done;
        lock (_gate)
        {
            if (_localFin || _reset || _sessionClosed)
            {
                return;
            }

            _localFin = true;
            done = _remoteFin;
        }

        await SendFrameAsync(YamuxFrame.WindowUpdate, YamuxFrame.Fin, 0, cancellationToken).ConfigureAwait(false);
        if (done)
        {
            _session.Remove(this);
        }
    }

    /// <summary>Resets the stream (RST): both directions end at once.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            if (_reset || _sessionClosed || (_remoteFin && _localFin))
            {
                return;
            }

            _reset = true;
            WakeAll();
        }

        _session.Remove(this);
        try
        {
            _session.SendControl(new YamuxFrame(YamuxFrame.WindowUpdate, YamuxFrame.Rst, Id, 0));
        }
        catch (P2pProtocolException)
        {
            // The peer does not read its control frames; the session will fail on its own.
        }
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public override void Flush()
    {
    }

    internal bool TryReserveReceive(uint length)
    {
        lock (_gate)
        {
            if (length > _receiveRemaining)
            {
                return false;
            }

            _receiveRemaining -= length;
            return true;
        }
    }

    internal void Enqueue(byte[] payload)
    {
        lock (_gate)
        {
            if (_disposed || _reset)
            {
                return;
            }

            _segments.Enqueue(payload);
            Wake(ref _readWaiter);
        }
    }

    internal bool AddSendWindow(uint delta)
    {
        lock (_gate)
        {
            _sendWindow += delta;
            Wake(ref _sendWaiter);
            return _sendWindow <= _session.Options.MaxSendWindow;
        }
    }

    internal void OnRemoteFin()
    {
        bool done;
        lock (_gate)
        {
            _remoteFin = true;
            done = _localFin || _disposed;
            Wake(ref _readWaiter);
        }

        if (done)
        {
            _session.Remove(this);
        }
    }

    internal void OnRemoteReset()
    {
        lock (_gate)
        {
            _reset = true;
            WakeAll();
        }

        _session.Remove(this);
    }

    internal void OnSessionClosed()
    {
        lock (_gate)
        {
            _sessionClosed = true;
            WakeAll();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            base.Dispose(disposing);
            return;
        }

        bool sendFin, linger;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _segments.Clear();
            sendFin = !_localFin && !_reset && !_sessionClosed;
            _localFin = true;
            linger = !_remoteFin && !_reset && !_sessionClosed;
        }

        if (sendFin)
        {
            try
            {
                _session.SendControl(new YamuxFrame(YamuxFrame.WindowUpdate, YamuxFrame.Fin, Id, 0));
            }
            catch (P2pProtocolException)
            {
                // The peer does not read; the session fails on its own.
            }
        }

        if (linger)
        {
            // Wait a while for the peer's FIN so its last bytes are not cut off, then reset.
            _ = Task.Delay(_session.Options.CloseLinger).ContinueWith(_ => Reset(), TaskScheduler.Default);
        }
        else
        {
            _session.Remove(this);
        }

        base.Dispose(disposing);
    }

    private int Take(Span<byte> destination)
    {
        var total = 0;
        while (destination.Length > 0 && _segments.Count > 0)
        {
            var segment = _segments.Peek();
            var n = Math.Min(destination.Length, segment.Length - _segmentOffset);
            segment.AsSpan(_segmentOffset, n).CopyTo(destination);
            destination = destination[n..];
            total += n;
            _segmentOffset += n;
            if (_segmentOffset == segment.Length)
            {
                _segments.Dequeue();
                _segmentOffset = 0;
            }
        }

        return total;
    }

    /// <summary>Window credit to send after the reader took <paramref name="n"/> bytes: half the window at a time, growing it while the reader keeps up.</summary>
    private uint CreditAfterRead(int n)
    {
        _consumed += n;
        if (_remoteFin || _consumed < _receiveWindow / 2)
        {
            return 0;
        }

        var credit = _consumed;
        var grown = Math.Min(_receiveWindow * 2, _session.Options.MaxReceiveWindow);
        if (grown > _receiveWindow && _session.TryGrantGrowth(grown - _receiveWindow))
        {
            credit += grown - _receiveWindow;
            _receiveWindow = grown;
        }

        _consumed = 0;
        _receiveRemaining += credit;
        return (uint)credit;
    }

    private void ThrowIfCannotWrite()
    {
        if (_reset)
        {
            throw new IOException($"stream {Id} was reset");
        }

        if (_sessionClosed)
        {
            throw new IOException("the connection is closed");
        }

        if (_localFin)
        {
            throw new IOException($"stream {Id} is closed for writing");
        }
    }

    private async ValueTask SendFrameAsync(byte type, ushort flags, uint length, CancellationToken cancellationToken)
    {
        try
        {
            await _session.WriteFrameAsync(new YamuxFrame(type, flags, Id, length), default, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (flags == 0)
        {
            // A window update for a connection that is closing: the reader finds out on its next read.
        }
    }

    private void WakeAll()
    {
        Wake(ref _readWaiter);
        Wake(ref _sendWaiter);
    }

    private static void Wake(ref TaskCompletionSource? waiter)
    {
        waiter?.TrySetResult();
        waiter = null;
    }
}

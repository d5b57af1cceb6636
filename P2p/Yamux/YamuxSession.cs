using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Formation.P2p.Yamux;

/// <summary>
/// A yamux session (yamux/README.md) over an encrypted connection: the dialer is the client (odd stream ids), the
/// listener the server (even ids). Enforces per-stream flow control and the limits in <see cref="YamuxOptions"/>;
/// a peer that breaks them gets GoAway(protocol error) and the connection is closed.
/// </summary>
public sealed partial class YamuxSession : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, YamuxStream> _streams = [];
    private readonly Dictionary<uint, (TaskCompletionSource<TimeSpan> Done, long Started)> _pings = [];
    private readonly Channel<YamuxStream> _accept = Channel.CreateUnbounded<YamuxStream>();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<Exception?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _nextStreamId;
    private uint _nextPing;
    private int _inbound;
    private int _outbound;
    private int _pendingAccept;
    private int _refused;
    private int _pendingControl;
    private long _grantedGrowth;
    private Task? _readLoop;

    /// <summary>Creates a session; call <see cref="Start"/> to begin reading.</summary>
    public YamuxSession(Stream transport, bool isClient, YamuxOptions options, ILogger logger)
    {
        _transport = transport;
        IsClient = isClient;
        Options = options;
        _logger = logger;
        _nextStreamId = isClient ? 1u : 2u;
    }

    /// <summary>True on the dialer's side (odd stream ids).</summary>
    public bool IsClient { get; }

    /// <summary>The session's limits.</summary>
    public YamuxOptions Options { get; }

    /// <summary>Completes when the session has closed, with the protocol error that closed it, if any.</summary>
    public Task<Exception?> Completion => _completion.Task;

    /// <summary>True once the session is closed or closing.</summary>
    public bool IsClosed => _closing.IsCancellationRequested;

    /// <summary>Streams currently open (both directions).</summary>
    public int StreamCount
    {
        get
        {
            lock (_lock)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Starts the read loop.</summary>
    public void Start() => _readLoop ??= Task.Run(ReadLoopAsync);

    /// <summary>Opens a stream (sends WindowUpdate with SYN).</summary>
    public async ValueTask<YamuxStream> OpenStreamAsync(CancellationToken cancellationToken)
    {
        YamuxStream stream;
        lock (_lock)
        {
            if (IsClosed)
            {
                throw new IOException("the connection is closed");
            }

            if (_outbound >= Options.MaxOutboundStreams)
            {
                throw new IOException($"this connection already has {_outbound} outbound streams open (the limit)");
            }

            if (_nextStreamId > uint.MaxValue - 2)
            {
                throw new IOException("yamux stream ids are exhausted on this connection");
            }

            stream = new YamuxStream(this, _nextStreamId, inbound: false);
            _nextStreamId += 2;
            _streams.Add(stream.Id, stream);
            _outbound++;
        }

        await WriteFrameAsync(new YamuxFrame(YamuxFrame.WindowUpdate, YamuxFrame.Syn, stream.Id, 0), default, cancellationToken).ConfigureAwait(false);
        return stream;
    }

    /// <summary>Waits for the next stream the peer opens; throws <see cref="IOException"/> once the session is closed.</summary>
    public async ValueTask<YamuxStream> AcceptStreamAsync(CancellationToken cancellationToken)
    {
        try
        {
            var stream = await _accept.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Decrement(ref _pendingAccept);
            return stream;
        }
        catch (ChannelClosedException e)
        {
            throw new IOException("the connection is closed", e);
        }
    }

    /// <summary>Measures the round trip of a yamux Ping.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        uint value;
        lock (_lock)
        {
            value = ++_nextPing;
            _pings[value] = (done, System.Diagnostics.Stopwatch.GetTimestamp());
        }

        try
        {
            await WriteFrameAsync(new YamuxFrame(YamuxFrame.Ping, YamuxFrame.Syn, 0, value), default, cancellationToken).ConfigureAwait(false);
            return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _pings.Remove(value);
            }
        }
    }

    /// <summary>Sends GoAway (normal) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsClosed)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await WriteFrameAsync(new YamuxFrame(YamuxFrame.GoAway, 0, 0, YamuxFrame.GoAwayNormal), default, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The peer is gone or not reading; close anyway.
            }
        }

        Close(null);
        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }
    }

    /// <summary>Writes one frame (header and payload in one transport write).</summary>
    internal async ValueTask WriteFrameAsync(YamuxFrame frame, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var length = YamuxFrame.HeaderLength + payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.Write(buffer);
            payload.Span.CopyTo(buffer.AsSpan(YamuxFrame.HeaderLength));
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (IsClosed && frame.Type != YamuxFrame.GoAway)
                {
                    throw new IOException("the connection is closed");
                }

                await _transport.WriteAsync(buffer.AsMemory(0, length), _closing.Token).ConfigureAwait(false);
                await _transport.FlushAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (_closing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new IOException("the connection is closed", e);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Queues a control frame without making the read loop wait for the transport.</summary>
    internal void SendControl(YamuxFrame frame)
    {
        if (Interlocked.Increment(ref _pendingControl) > Options.MaxPendingControlFrames)
        {
            Interlocked.Decrement(ref _pendingControl);
            throw new P2pProtocolException($"the peer does not read: {Options.MaxPendingControlFrames} control frames are queued");
        }

        _ = SendControlAsync(frame);
    }

    /// <summary>Grants extra receive window to a stream if the session budget allows.</summary>
    internal bool TryGrantGrowth(long bytes)
    {
        lock (_lock)
        {
            if (_grantedGrowth + bytes > Options.SessionWindowBudget)
            {
                return false;
            }

            _grantedGrowth += bytes;
            return true;
        }
    }

    /// <summary>Forgets a finished stream.</summary>
    internal void Remove(YamuxStream stream)
    {
        lock (_lock)
        {
            if (_streams.Remove(stream.Id))
            {
                _grantedGrowth -= stream.ReceiveWindowGrowth;
                if (stream.IsInbound)
                {
                    _inbound--;
                }
                else
                {
                    _outbound--;
                }
            }
        }
    }

    private async Task SendControlAsync(YamuxFrame frame)
    {
        try
        {
            await WriteFrameAsync(frame, default, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The session is closing.
        }
        finally
        {
            Interlocked.Decrement(ref _pendingControl);
        }
    }

    private void Close(Exception? error)
    {
        YamuxStream[] streams;
        lock (_lock)
        {
            if (_closing.IsCancellationRequested)
            {
                return;
            }

            _closing.Cancel();
            streams = [.. _streams.Values];
            _streams.Clear();
            foreach (var ping in _pings.Values)
            {
                ping.Done.TrySetException(new IOException("the connection is closed"));
            }
        }

        _accept.Writer.TryComplete();
        foreach (var stream in streams)
        {
            stream.OnSessionClosed();
        }

        try
        {
            _transport.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Already gone.
        }

        _completion.TrySetResult(error);
    }
}

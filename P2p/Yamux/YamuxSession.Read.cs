using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Formation.P2p.Yamux;

/// <summary>The read loop: one frame at a time, each checked against the session's limits.</summary>
public sealed partial class YamuxSession
{
    private async Task ReadLoopAsync()
    {
        var header = new byte[YamuxFrame.HeaderLength];
        Exception? error = null;
        try
        {
            while (await ReadHeaderAsync(header).ConfigureAwait(false))
            {
                var frame = YamuxFrame.Read(header);
                switch (frame.Type)
                {
                    case YamuxFrame.Data:
                        await OnDataAsync(frame).ConfigureAwait(false);
                        break;
                    case YamuxFrame.WindowUpdate:
                        OnWindowUpdate(frame);
                        break;
                    case YamuxFrame.Ping:
                        OnPing(frame);
                        break;
                    default:
                        LogGoAway(_logger, frame.Length);
                        return;
                }
            }
        }
        catch (P2pProtocolException e)
        {
            error = e;
            LogProtocolError(_logger, e.Message);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await WriteFrameAsync(new YamuxFrame(YamuxFrame.GoAway, 0, 0, YamuxFrame.GoAwayProtocolError), default, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception writeError) when (writeError is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Closing anyway.
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or EndOfStreamException)
        {
            // The transport ended.
        }
        finally
        {
            Close(error);
        }
    }

    private async ValueTask<bool> ReadHeaderAsync(byte[] header)
    {
        var read = 0;
        while (read < header.Length)
        {
            var n = await _transport.ReadAsync(header.AsMemory(read), _closing.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return read == 0 ? false : throw new P2pProtocolException("the connection ended inside a yamux header");
            }

            read += n;
        }

        return true;
    }

    private async ValueTask OnDataAsync(YamuxFrame frame)
    {
        var stream = StreamFor(frame);
        if (frame.Length > 0)
        {
            if (stream is null)
            {
                // A stream we reset or never knew: the peer may still have a window's worth in flight. Discard it.
                if (frame.Length > Options.MaxReceiveWindow)
                {
                    throw new P2pProtocolException($"yamux data frame of {frame.Length} bytes for unknown stream {frame.StreamId}");
                }

                await DiscardAsync((int)frame.Length).ConfigureAwait(false);
            }
            else
            {
                if (!stream.TryReserveReceive(frame.Length))
                {
                    throw new P2pProtocolException($"yamux stream {frame.StreamId}: {frame.Length} bytes sent past the receive window");
                }

                var payload = new byte[frame.Length];
                await ReadPayloadAsync(payload).ConfigureAwait(false);
                stream.Enqueue(payload);
            }
        }

        ApplyFlags(stream, frame);
    }

    private void OnWindowUpdate(YamuxFrame frame)
    {
        var stream = StreamFor(frame);
        if (stream is not null && frame.Length > 0 && !stream.AddSendWindow(frame.Length))
        {
            throw new P2pProtocolException($"yamux stream {frame.StreamId}: window updates beyond {Options.MaxSendWindow} bytes");
        }

        ApplyFlags(stream, frame);
    }

    private void OnPing(YamuxFrame frame)
    {
        if (frame.Flags == YamuxFrame.Syn)
        {
            SendControl(new YamuxFrame(YamuxFrame.Ping, YamuxFrame.Ack, 0, frame.Length));
        }
        else if (frame.Flags == YamuxFrame.Ack)
        {
            lock (_lock)
            {
                if (_pings.Remove(frame.Length, out var ping))
                {
                    ping.Done.TrySetResult(System.Diagnostics.Stopwatch.GetElapsedTime(ping.Started));
                }
            }
        }
        else
        {
            throw new P2pProtocolException($"yamux ping with flags {frame.Flags}");
        }
    }

    private static void ApplyFlags(YamuxStream? stream, YamuxFrame frame)
    {
        if (stream is null)
        {
            return;
        }

        if (frame.Has(YamuxFrame.Rst))
        {
            stream.OnRemoteReset();
        }
        else if (frame.Has(YamuxFrame.Fin))
        {
            stream.OnRemoteFin();
        }
    }

    /// <summary>The stream a frame belongs to; opens it for SYN (or refuses it over the limits); null if unknown.</summary>
    private YamuxStream? StreamFor(YamuxFrame frame)
    {
        if (frame.StreamId == 0)
        {
            throw new P2pProtocolException("yamux stream frame on stream id 0");
        }

        if (!frame.Has(YamuxFrame.Syn))
        {
            lock (_lock)
            {
                return _streams.GetValueOrDefault(frame.StreamId);
            }
        }

        if ((frame.StreamId % 2 == 1) == IsClient)
        {
            throw new P2pProtocolException($"yamux stream id {frame.StreamId} has this side's parity (both endpoints act as {(IsClient ? "client" : "server")})");
        }

        YamuxStream stream;
        lock (_lock)
        {
            if (_streams.ContainsKey(frame.StreamId))
            {
                throw new P2pProtocolException($"yamux stream {frame.StreamId} opened twice");
            }

            if (_inbound >= Options.MaxInboundStreams || Volatile.Read(ref _pendingAccept) >= Options.AcceptBacklog)
            {
                if (++_refused > Options.MaxRefusedStreams)
                {
                    throw new P2pProtocolException($"stream flood: {_refused} streams refused over the limit of {Options.MaxInboundStreams}");
                }

                SendControl(new YamuxFrame(YamuxFrame.WindowUpdate, YamuxFrame.Rst, frame.StreamId, 0));
                return null;
            }

            stream = new YamuxStream(this, frame.StreamId, inbound: true);
            _streams.Add(stream.Id, stream);
            _inbound++;
        }

        SendControl(new YamuxFrame(YamuxFrame.WindowUpdate, YamuxFrame.Ack, frame.StreamId, 0));
        Interlocked.Increment(ref _pendingAccept);
        _accept.Writer.TryWrite(stream);
        return stream;
    }

    private async ValueTask ReadPayloadAsync(Memory<byte> payload)
    {
        try
        {
            await _transport.ReadExactlyAsync(payload, _closing.Token).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new P2pProtocolException("the connection ended inside a yamux data frame", e);
        }
    }

    private async ValueTask DiscardAsync(int length)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Min(length, 65536));
        try
        {
            while (length > 0)
            {
                var n = Math.Min(length, scratch.Length);
                await ReadPayloadAsync(scratch.AsMemory(0, n)).ConfigureAwait(false);
                length -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "yamux: the peer sent GoAway (code {Code})")]
    private static partial void LogGoAway(ILogger logger, uint code);

    [LoggerMessage(Level = LogLevel.Information, Message = "yamux: closing the connection after a protocol error: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, string reason);
}

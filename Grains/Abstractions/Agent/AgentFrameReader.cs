using System.Buffers.Binary;

namespace Formation.Agent;

/// <summary>
/// Reads agent frames from a stream with a fixed buffer (<see cref="AgentProtocol.MaxPayload"/> + header): a length
/// over the maximum is refused before anything is read for it, so nothing the other side sends can make it allocate
/// more. Used by the host for the agent's frames and by tests for the host's.
/// </summary>
public sealed class AgentFrameReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[AgentProtocol.HeaderSize + AgentProtocol.MaxPayload];
    private int _start;
    private int _end;

    /// <summary>The next frame, or null when the stream ended cleanly between frames.</summary>
    public async ValueTask<AgentFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await FillAsync(AgentProtocol.HeaderSize, cancellationToken))
        {
            if (_end == _start)
            {
                return null;
            }

            throw new AgentProtocolException($"the guest agent's stream ended inside a frame header ({_end - _start} of {AgentProtocol.HeaderSize} bytes).");
        }

        var type = (AgentFrameType)_buffer[_start];
        var length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 1));
        if (length > AgentProtocol.MaxPayload)
        {
            throw new AgentProtocolException(
                $"the guest agent sent a frame of {length} bytes (type 0x{(byte)type:x2}); the protocol allows at most {AgentProtocol.MaxPayload}.");
        }

        if (!await FillAsync(AgentProtocol.HeaderSize + (int)length, cancellationToken))
        {
            throw new AgentProtocolException(
                $"the guest agent's stream ended inside a frame (type 0x{(byte)type:x2}, {_end - _start - AgentProtocol.HeaderSize} of {length} bytes).");
        }

        var payload = _buffer.AsSpan(_start + AgentProtocol.HeaderSize, (int)length).ToArray();
        _start += AgentProtocol.HeaderSize + (int)length;
        return new AgentFrame(type, payload);
    }

    /// <summary>
    /// Skips everything up to the HELLO_ACK that echoes <paramref name="hello"/> (what a broken earlier session left in
    /// the stream: half frames, old output) and returns the ACK's payload. At most <paramref name="maxSkip"/> bytes are
    /// skipped; more is a protocol error.
    /// </summary>
    public async Task<AgentFrame> SkipToHelloAckAsync(ReadOnlyMemory<byte> hello, int maxSkip, CancellationToken cancellationToken)
    {
        var skipped = 0L;
        var marker = AgentProtocol.HeaderSize + hello.Length; // type, length, echoed HELLO payload
        while (true)
        {
            var at = Find(hello.Span);
            if (at >= 0)
            {
                skipped += at - _start;
                _start = at;
                var length = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 1));
                if (length <= AgentProtocol.MaxPayload && length >= hello.Length && await FillAsync(AgentProtocol.HeaderSize + (int)length, cancellationToken))
                {
                    var payload = _buffer.AsSpan(_start + AgentProtocol.HeaderSize, (int)length).ToArray();
                    _start += AgentProtocol.HeaderSize + (int)length;
                    return new AgentFrame(AgentFrameType.HelloAck, payload);
                }

                _start++; // not a well-formed ACK after all: keep looking past it
                skipped++;
                continue;
            }

            // Keep the last marker-1 bytes (a match may straddle reads); drop the rest.
            var keep = Math.Min(_end - _start, marker - 1);
            skipped += _end - _start - keep;
            _start = _end - keep;
            if (skipped > maxSkip)
            {
                throw new AgentProtocolException($"the guest agent's stream held more than {maxSkip} bytes before it answered HELLO (not a Formation agent?).");
            }

            if (!await FillAsync(_end - _start + 1, cancellationToken))
            {
                throw new AgentProtocolException("the guest agent's stream closed before it answered HELLO.");
            }
        }
    }

    /// <summary>Index of a HELLO_ACK header whose payload starts with <paramref name="hello"/>, or -1.</summary>
    private int Find(ReadOnlySpan<byte> hello)
    {
        var window = _buffer.AsSpan(_start, _end - _start);
        var from = 0;
        while (true)
        {
            var i = window[from..].IndexOf(hello);
            if (i < 0)
            {
                return -1;
            }

            var at = from + i - AgentProtocol.HeaderSize;
            if (at >= 0 && window[at] == (byte)AgentFrameType.HelloAck)
            {
                return _start + at;
            }

            from += i + 1;
        }
    }

    /// <summary>Reads until at least <paramref name="count"/> unread bytes are buffered; false when the stream ends first.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        while (_end < count)
        {
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }
}

using System.Buffers.Binary;
using Formation.Agent;

namespace Formation.Grains.Abstractions.Tests.Agent;

/// <summary>
/// The host's frame reader against hostile or broken guest streams (memory streams stand in for the guest; the real agent
/// is tested in <c>Formation.Silo.Tests/Pack/GuestAgentTests</c>).
/// </summary>
public sealed class AgentFrameReaderTests
{
    [Fact]
    public async Task ReadAsync_FramesBackToBack_ReturnsEachWithItsPayload()
    {
        var stream = Stream(AgentProtocol.Frame(AgentFrameType.Stdout, "abc"u8), AgentProtocol.Frame(AgentFrameType.Stderr, []),
            AgentProtocol.Frame(AgentFrameType.Exit, [0, 0, 0, 3, 0]));
        var reader = new AgentFrameReader(stream);

        var first = await reader.ReadAsync(CancellationToken.None);
        var second = await reader.ReadAsync(CancellationToken.None);
        var third = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal((AgentFrameType.Stdout, "abc"), (first!.Value.Type, System.Text.Encoding.ASCII.GetString(first.Value.Payload)));
        Assert.Equal((AgentFrameType.Stderr, 0), (second!.Value.Type, second.Value.Payload.Length));
        Assert.Equal((3, 0), AgentProtocol.ParseExit(third!.Value.Payload));
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_MaximumPayload_IsAccepted()
    {
        var payload = new byte[AgentProtocol.MaxPayload];
        payload[^1] = 7;
        var reader = new AgentFrameReader(Stream(AgentProtocol.Frame(AgentFrameType.Stdout, payload)));

        var frame = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal(AgentProtocol.MaxPayload, frame!.Value.Payload.Length);
        Assert.Equal(7, frame.Value.Payload[^1]);
    }

    [Theory]
    [InlineData(AgentProtocol.MaxPayload + 1)]
    [InlineData(uint.MaxValue)]
    public async Task ReadAsync_OversizedLength_FailsBeforeReadingThePayload(uint length)
    {
        var header = new byte[AgentProtocol.HeaderSize];
        header[0] = (byte)AgentFrameType.Stdout;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), length);
        var reader = new AgentFrameReader(Stream(header)); // no payload follows: a reader that tried to read it would say "ended"

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains($"frame of {length} bytes", error.Message);
        Assert.Contains($"at most {AgentProtocol.MaxPayload}", error.Message);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsInsideAHeader_SaysSo()
    {
        var reader = new AgentFrameReader(Stream([0x83, 0, 0]));

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains("inside a frame header", error.Message);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsInsideAPayload_SaysSo()
    {
        var frame = AgentProtocol.Frame(AgentFrameType.Stdout, new byte[100]);
        var reader = new AgentFrameReader(Stream(frame[..50]));

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains("45 of 100 bytes", error.Message);
    }

    [Fact]
    public async Task SkipToHelloAck_StaleOutputAndHalfFramesBefore_FindsTheAckAndKeepsWhatFollows()
    {
        var nonce = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var hello = AgentProtocol.HelloPayload(nonce);
        var staleAck = AgentProtocol.Frame(AgentFrameType.HelloAck, [.. AgentProtocol.HelloPayload([9, 9, 9, 9, 9, 9, 9, 9]), .. "v1"u8]);
        var ack = AgentProtocol.Frame(AgentFrameType.HelloAck, [.. hello, .. "formation-agent 1"u8]);
        var stale = AgentProtocol.Frame(AgentFrameType.Stdout, new byte[60_000]);
        var reader = new AgentFrameReader(Stream(stale[..30_000], [0x85, 0xff], staleAck, ack, AgentProtocol.Frame(AgentFrameType.Started, [0, 0, 0, 42])));

        var found = await reader.SkipToHelloAckAsync(hello, 1 << 20, CancellationToken.None);
        var next = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal("formation-agent 1", System.Text.Encoding.ASCII.GetString(found.Payload.AsSpan(hello.Length)));
        Assert.Equal(42, AgentProtocol.ParseStarted(next!.Value.Payload));
    }

    [Fact]
    public async Task SkipToHelloAck_MoreStaleBytesThanAllowed_Fails()
    {
        var hello = AgentProtocol.HelloPayload(new byte[8]);
        var reader = new AgentFrameReader(Stream(new byte[200_000]));

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => reader.SkipToHelloAckAsync(hello, 100_000, CancellationToken.None));

        Assert.Contains("more than 100000 bytes", error.Message);
    }

    [Fact]
    public async Task SkipToHelloAck_StreamClosesFirst_Fails()
    {
        var hello = AgentProtocol.HelloPayload(new byte[8]);
        var reader = new AgentFrameReader(Stream("garbage"u8.ToArray()));

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => reader.SkipToHelloAckAsync(hello, 1 << 20, CancellationToken.None));

        Assert.Contains("closed before it answered HELLO", error.Message);
    }

    /// <summary>A stream that hands out its bytes a few at a time, as a socket may.</summary>
    private static Stream Stream(params byte[][] parts) => new Trickle([.. parts.SelectMany(p => p)]);

    private sealed class Trickle(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 7919)], cancellationToken);
    }
}

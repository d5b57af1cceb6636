using Formation.Agent;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Agent;

/// <summary>
/// The host's session logic against guests that misbehave: silent, answering with the wrong frames, closing early.
/// A scripted stream stands in for the guest (the real agent: <c>Formation.Silo.Tests/Pack/GuestAgentTests</c>).
/// </summary>
public sealed class AgentClientTests
{
    [Fact]
    public async Task Handshake_GuestNeverAnswers_FailsAtTheTimeoutSayingSo()
    {
        await using var client = new AgentClient(new Scripted(null));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => client.HandshakeAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));

        Assert.Contains("did not answer within 0.3 s", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Handshake_AnswerEchoesTheNonce_Succeeds()
    {
        var guest = new Scripted(hello => [.. "stale"u8, .. AgentProtocol.Frame(AgentFrameType.HelloAck, [.. hello, .. "formation-agent 1"u8])]);
        await using var client = new AgentClient(guest);

        await client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal("formation-agent 1", client.AgentVersion);
    }

    [Fact]
    public async Task Handshake_AnswerWithAnotherNonce_IsNotTaken()
    {
        var guest = new Scripted(_ => AgentProtocol.Frame(AgentFrameType.HelloAck, [.. AgentProtocol.HelloPayload(new byte[8]), .. "x"u8]));
        await using var client = new AgentClient(guest);

        await Assert.ThrowsAsync<AgentProtocolException>(() => client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [Fact]
    public async Task Start_GuestAnswersError_ThrowsStartExceptionWithKind()
    {
        var guest = new Scripted(hello => [.. Ack(hello), .. AgentProtocol.Frame(AgentFrameType.Error, [1, .. "nope: command not found"u8])]);
        await using var client = new AgentClient(guest);
        await client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        var error = await Assert.ThrowsAsync<AgentStartException>(() => client.StartAsync(new ExecRequest(["nope"]), TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Equal((AgentErrorKind.NotFound, 127, "nope: command not found"), (error.Kind, error.ShellExitCode, error.Message));
    }

    [Fact]
    public async Task Start_GuestAnswersWithAnUnexpectedFrame_IsAProtocolError()
    {
        var guest = new Scripted(hello => [.. Ack(hello), .. AgentProtocol.Frame(AgentFrameType.Stdout, "x"u8)]);
        await using var client = new AgentClient(guest);
        await client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => client.StartAsync(new ExecRequest(["ls"]), TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Contains("type 0x83", error.Message);
    }

    [Fact]
    public async Task Read_StreamClosesBeforeExit_IsAProtocolError()
    {
        var guest = new Scripted(hello => [.. Ack(hello), .. AgentProtocol.Frame(AgentFrameType.Started, [0, 0, 0, 1]), .. AgentProtocol.Frame(AgentFrameType.Stdout, "x"u8)],
            closeAfterScript: true);
        await using var client = new AgentClient(guest);
        await client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(1, await client.StartAsync(new ExecRequest(["ls"]), TimeSpan.FromSeconds(5), CancellationToken.None));

        Assert.Equal(AgentFrameType.Stdout, (await client.ReadAsync(CancellationToken.None)).Type);
        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => client.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains("closed before the command's exit status", error.Message);
    }

    [Fact]
    public async Task Read_HostFrameTypeFromTheGuest_IsAProtocolError()
    {
        var guest = new Scripted(hello => [.. Ack(hello), .. AgentProtocol.Frame(AgentFrameType.Started, [0, 0, 0, 1]), .. AgentProtocol.Frame(AgentFrameType.Exec, "x"u8)]);
        await using var client = new AgentClient(guest);
        await client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        await client.StartAsync(new ExecRequest(["ls"]), TimeSpan.FromSeconds(5), CancellationToken.None);

        await Assert.ThrowsAsync<AgentProtocolException>(() => client.ReadAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Run_CommandWritesAndExits_ReturnsItsOutputAndStatus()
    {
        var guest = new Scripted(hello => [.. Ack(hello), .. AgentProtocol.Frame(AgentFrameType.Started, [0, 0, 0, 9]),
            .. AgentProtocol.Frame(AgentFrameType.Stdout, "out"u8), .. AgentProtocol.Frame(AgentFrameType.Stderr, "err"u8),
            .. AgentProtocol.Frame(AgentFrameType.Exit, [0, 0, 0, 2, 0])]);
        await using var client = new AgentClient(guest);
        await client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        var (result, stdout, stderr) = await client.RunAsync(new ExecRequest(["sh"]), TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Equal((2, "out", "err"), (result.ExitCode, stdout, stderr));
    }

    [Fact]
    public async Task Run_CommandNeverEnds_FailsAtTheTimeoutSayingSo()
    {
        var guest = new Scripted(hello => [.. Ack(hello), .. AgentProtocol.Frame(AgentFrameType.Started, [0, 0, 0, 9])]);
        await using var client = new AgentClient(guest);
        await client.HandshakeAsync(TimeSpan.FromSeconds(5), CancellationToken.None);

        var error = await Assert.ThrowsAsync<AgentProtocolException>(() => client.RunAsync(new ExecRequest(["sleep"]), TimeSpan.FromMilliseconds(300), CancellationToken.None));

        Assert.Contains("did not end within 0.3 s", error.Message);
    }

    private static byte[] Ack(byte[] hello) => AgentProtocol.Frame(AgentFrameType.HelloAck, [.. hello, .. "v"u8]);

    /// <summary>
    /// A guest that answers the host's HELLO with what <c>script</c> makes of its payload, then stays silent (or closes);
    /// with no script it never answers at all.
    /// </summary>
    private sealed class Scripted(Func<byte[], byte[]>? script, bool closeAfterScript = false) : Stream
    {
        private readonly MemoryStream _written = new();
        private byte[] _answer = [];
        private int _at;
        private bool _answered;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (script is not null && !_answered && _written.Length >= AgentProtocol.HeaderSize + 25)
            {
                _answer = script(_written.ToArray()[AgentProtocol.HeaderSize..(AgentProtocol.HeaderSize + 25)]);
                _answered = true;
            }

            if (_at < _answer.Length)
            {
                var n = Math.Min(buffer.Length, _answer.Length - _at);
                _answer.AsMemory(_at, n).CopyTo(buffer);
                _at += n;
                return n;
            }

            if (_answered && closeAfterScript)
            {
                return 0;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _written.Write(buffer, offset, count);
    }
}

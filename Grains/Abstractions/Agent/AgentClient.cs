using System.Security.Cryptography;
using Formation.Vms;

namespace Formation.Agent;

/// <summary>
/// One session with a guest agent over a byte stream (vsock connection, virtio-serial port, or a test socket):
/// <see cref="HandshakeAsync"/>, <see cref="StartAsync"/>, then <see cref="ReadAsync"/> until EXIT while stdin,
/// window size and signals go the other way. Writes are serialized; one reader at a time. Disposing closes the stream,
/// which makes the agent end the command.
/// </summary>
public sealed class AgentClient(Stream stream) : IAsyncDisposable
{
    /// <summary>How much stale output of an earlier session the handshake skips at most.</summary>
    public const int MaxStaleBytes = 1024 * 1024;

    private readonly AgentFrameReader _reader = new(stream);
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <summary>The agent's version text (after the handshake).</summary>
    public string? AgentVersion { get; private set; }

    /// <summary>Sends HELLO and waits for the agent's answer, skipping what an earlier session left in the stream.</summary>
    public async Task HandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var hello = AgentProtocol.HelloPayload(RandomNumberGenerator.GetBytes(AgentProtocol.NonceSize));
        try
        {
            await WriteAsync(AgentProtocol.Frame(AgentFrameType.Hello, hello), deadline.Token);
            var ack = await _reader.SkipToHelloAckAsync(hello, MaxStaleBytes, deadline.Token);
            AgentVersion = System.Text.Encoding.UTF8.GetString(ack.Payload.AsSpan(hello.Length));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentProtocolException($"the guest agent did not answer within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>
    /// Sends the command and waits (up to <paramref name="timeout"/>) until it runs: returns its pid in the guest.
    /// Throws <see cref="AgentStartException"/> when the agent could not start it.
    /// </summary>
    public async Task<int> StartAsync(ExecRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await WriteAsync(AgentProtocol.Exec(request), deadline.Token);
            var frame = await _reader.ReadAsync(deadline.Token)
                ?? throw new AgentProtocolException("the guest agent closed the stream instead of starting the command.");
            return frame.Type switch
            {
                AgentFrameType.Started => AgentProtocol.ParseStarted(frame.Payload),
                AgentFrameType.Error => throw Refused(frame.Payload),
                _ => throw new AgentProtocolException($"the guest agent answered EXEC with a frame of type 0x{(byte)frame.Type:x2}."),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentProtocolException($"the guest agent did not start the command within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>
    /// The next output or the end: STDOUT, STDERR, EXIT or ERROR (after which the session is over). Anything else, or
    /// the stream ending before EXIT, is an <see cref="AgentProtocolException"/>.
    /// </summary>
    public async ValueTask<AgentFrame> ReadAsync(CancellationToken cancellationToken)
    {
        var frame = await _reader.ReadAsync(cancellationToken)
            ?? throw new AgentProtocolException("the guest agent's stream closed before the command's exit status arrived.");
        return frame.Type is AgentFrameType.Stdout or AgentFrameType.Stderr or AgentFrameType.Exit or AgentFrameType.Error
            ? frame
            : throw new AgentProtocolException($"the guest agent sent an unexpected frame of type 0x{(byte)frame.Type:x2} during a session.");
    }

    /// <summary>
    /// Runs a short command to its end (after <see cref="HandshakeAsync"/>), stdin closed: its result and its output as
    /// text, stdout and stderr each cut at <paramref name="maxOutput"/> bytes. For the host's own commands in a guest
    /// (a clone's new identity), not for users' sessions, whose output streams.
    /// </summary>
    public async Task<(ExecResult Result, string Stdout, string Stderr)> RunAsync(ExecRequest request, TimeSpan timeout,
        CancellationToken cancellationToken, int maxOutput = 64 * 1024)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        try
        {
            try
            {
                await StartAsync(request with { Stdin = false }, timeout, deadline.Token);
            }
            catch (AgentStartException refused)
            {
                return (new ExecResult(refused.ShellExitCode, Error: refused.Message), "", "");
            }

            while (true)
            {
                var frame = await ReadAsync(deadline.Token);
                switch (frame.Type)
                {
                    case AgentFrameType.Stdout or AgentFrameType.Stderr:
                        var into = frame.Type == AgentFrameType.Stdout ? stdout : stderr;
                        into.Write(frame.Payload, 0, (int)Math.Min(frame.Payload.Length, Math.Max(0, maxOutput - into.Length)));
                        break;
                    case AgentFrameType.Exit:
                        var (code, signal) = AgentProtocol.ParseExit(frame.Payload);
                        return (signal > 0 ? new ExecResult(128 + signal, signal) : new ExecResult(code), Text(stdout), Text(stderr));
                    default:
                        var refused = Refused(frame.Payload);
                        return (new ExecResult(refused.ShellExitCode, Error: refused.Message), Text(stdout), Text(stderr));
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentProtocolException($"the command in the guest did not end within {timeout.TotalSeconds:0.#} s.");
        }

        static string Text(MemoryStream buffer) => System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Sends stdin bytes (in frames of at most <see cref="AgentProtocol.StdinChunk"/>).</summary>
    public async Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        for (var at = 0; at < data.Length; at += AgentProtocol.StdinChunk)
        {
            var piece = data.Slice(at, Math.Min(AgentProtocol.StdinChunk, data.Length - at));
            await WriteAsync(AgentProtocol.Stdin(piece.Span), cancellationToken);
        }
    }

    /// <summary>Closes the command's stdin (a pty gets Ctrl-D).</summary>
    public Task CloseStdinAsync(CancellationToken cancellationToken) => WriteAsync(AgentProtocol.Stdin([]), cancellationToken);

    public Task ResizeAsync(int rows, int columns, CancellationToken cancellationToken) =>
        WriteAsync(AgentProtocol.Resize(rows, columns), cancellationToken);

    public Task SignalAsync(int signal, CancellationToken cancellationToken) => WriteAsync(AgentProtocol.Signal(signal), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        _writeGate.Dispose();
    }

    /// <summary>The exception an ERROR payload stands for.</summary>
    public static AgentStartException Refused(byte[] payload)
    {
        var (kind, message) = AgentProtocol.ParseError(payload);
        return new AgentStartException(kind, message);
    }

    private async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await stream.WriteAsync(frame, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }
}

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

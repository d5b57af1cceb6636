using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Formation.Silo.Platform;

namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>
/// A client of QEMU's machine protocol (QMP) over its Unix socket: one JSON object per line, commands answered in
/// order with <c>return</c> or <c>error</c>, events (<c>SHUTDOWN</c>, <c>STOP</c>, ...) in between.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _commandGate = new(1, 1);
    private readonly Channel<JsonObject> _replies = Channel.CreateUnbounded<JsonObject>();
    private readonly Channel<QmpEvent> _events = Channel.CreateUnbounded<QmpEvent>();
    private readonly Task _readLoop;
    private int _abandoned;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Events in arrival order; completes when the connection closes.</summary>
    public ChannelReader<QmpEvent> Events => _events.Reader;

    /// <summary>Completes when QEMU closes the connection (it exited, or another client took over).</summary>
    public Task Closed => _readLoop;

    public static async Task<QmpClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new QmpClient(socket);
        try
        {
            var greeting = await client._replies.Reader.ReadAsync(cancellationToken);
            if (!greeting.ContainsKey("QMP"))
            {
                throw new InvalidDataException($"not a QMP greeting: {greeting.ToJsonString()}");
            }

            await client.ExecuteAsync("qmp_capabilities", null, cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs one command; returns its <c>return</c> value or throws <see cref="QmpException"/>.</summary>
    public Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken) =>
        ExecuteAsync(command, arguments, null, cancellationToken);

    /// <summary>
    /// Runs one command with a file descriptor attached (<c>SCM_RIGHTS</c>), as <c>getfd</c> needs: QEMU takes the
    /// descriptor with the command's bytes, so a jailed QEMU can use a file only the silo can open.
    /// </summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, SafeHandle? fd, CancellationToken cancellationToken)
    {
        await _commandGate.WaitAsync(cancellationToken);
        try
        {
            // QEMU answers commands in order: replies of commands whose caller gave up waiting come first; skip them.
            for (; _abandoned > 0; _abandoned--)
            {
                await _replies.Reader.ReadAsync(cancellationToken);
            }

            var request = new JsonObject { ["execute"] = command };
            if (arguments is not null)
            {
                request["arguments"] = arguments;
            }

            var bytes = Encoding.UTF8.GetBytes(request.ToJsonString() + "\n");
            if (fd is null)
            {
                await _stream.WriteAsync(bytes, cancellationToken);
            }
            else
            {
                await HostFdPassing.SendAsync(_socket, bytes, fd, cancellationToken);
            }

            JsonObject reply;
            try
            {
                reply = await _replies.Reader.ReadAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _abandoned++; // sent: its reply will still come
                throw;
            }

            if (reply.TryGetPropertyValue("error", out var error))
            {
                throw new QmpException(command, error?["desc"]?.GetValue<string>() ?? error?.ToJsonString() ?? "unknown error");
            }

            return reply["return"];
        }
        catch (ChannelClosedException)
        {
            throw new QmpException(command, "QEMU closed the QMP connection");
        }
        finally
        {
            _commandGate.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync() is { } line)
            {
                if (string.IsNullOrWhiteSpace(line) || JsonNode.Parse(line) is not JsonObject message)
                {
                    continue;
                }

                if (message["event"]?.GetValue<string>() is { } name)
                {
                    _events.Writer.TryWrite(new QmpEvent(name, message["data"] as JsonObject));
                }
                else
                {
                    _replies.Writer.TryWrite(message);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or JsonException or SocketException)
        {
        }
        finally
        {
            _replies.Writer.TryComplete();
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        await _readLoop;
        _stream.Dispose();
        _reader.Dispose();
    }
}

using System.Net.Sockets;
using System.Text;
using Formation.Kvm.Native.Interop;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// The control API on a Unix stream socket: one JSON request per line, one JSON reply per line (the records of
/// Formation.Vmm.Protocol; see Kvm.Native/README.md). Commands: boot, pause, resume, shutdown, kill, wait, info, registers, console, snapshot.
/// "console" turns the connection into a raw byte stream (guest output out, keyboard input in).
/// </summary>
public sealed partial class ControlServer : IAsyncDisposable
{
    private readonly IControllableMachine _vm;
    private readonly string _path;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _acceptLoop;
    private int _inProgress;

    private ControlServer(IControllableMachine vm, string path, Socket listener, ILogger logger)
    {
        _vm = vm;
        _path = path;
        _listener = listener;
        _logger = logger;
        _acceptLoop = AcceptLoop();
    }

    /// <summary>Listens on <paramref name="path"/> (replacing a stale socket file), mode 0600.</summary>
    public static ControlServer Start(IControllableMachine vm, string path, ILogger logger)
    {
        var listener = UnixListener.Bind(path, "control socket");
        return new ControlServer(vm, path, listener, logger);
    }

    /// <summary>Stops listening, lets requests in progress write their responses (up to 2 s), then closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        var deadline = Environment.TickCount64 + 2000;
        while (Volatile.Read(ref _inProgress) > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
        }

        UnixListener.TryRemove(_path);
    }

    private Task AcceptLoop() => UnixListener.AcceptLoopAsync(_listener, _stop.Token, client => _ = Task.Run(() => Serve(client)));

    private async Task Serve(Socket socket)
    {
        using var _ = socket;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        try
        {
            while (await reader.ReadLineAsync(_stop.Token).ConfigureAwait(false) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                Interlocked.Increment(ref _inProgress);
                bool attachConsole;
                try
                {
                    (var reply, attachConsole) = await Handle(line).ConfigureAwait(false);
                    await stream.WriteAsync(reply, _stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _inProgress);
                }

                if (attachConsole)
                {
                    await ConsoleSession(stream, reader).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Client went away or the server is stopping.
        }
    }

    private async Task<(byte[] Reply, bool Console)> Handle(string line)
    {
        VmmRequest request;
        try
        {
            request = VmmProtocol.ParseRequest(Encoding.UTF8.GetBytes(line));
        }
        catch (InvalidDataException e)
        {
            return (VmmProtocol.SerializeFailure(new VmmFailure(null, e.Message)), false);
        }

        LogCommand(VmmProtocol.CommandOf(request));
        var id = request.Id;
        try
        {
            switch (request)
            {
                case BootRequest:
                    _vm.Start();
                    return (Reply(id, State()), false);
                case PauseRequest:
                    _vm.Pause();
                    return (Reply(id, State()), false);
                case ResumeRequest:
                    _vm.Resume();
                    return (Reply(id, State()), false);
                case ShutdownRequest { TimeoutSeconds: var seconds }:
                    if (!(seconds is > 0 and <= ShutdownRequest.MaxTimeoutSeconds))
                    {
                        throw new ArgumentException($"timeoutSeconds must be more than 0 and at most {ShutdownRequest.MaxTimeoutSeconds}");
                    }

                    return (Reply(id, Exit(await _vm.Shutdown(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false))), false);
                case KillRequest:
                    return (Reply(id, Exit(await _vm.Kill("kill requested on the control socket").ConfigureAwait(false))), false);
                case WaitRequest:
                    return (Reply(id, Exit(await _vm.Exited.ConfigureAwait(false))), false);
                case InfoRequest:
                    return (Reply(id, _vm.Info()), false);
                case RegistersRequest:
                    return (Reply(id, _vm.Registers()), false);
                case SnapshotRequest { Directory: var directory }:
                    return (Reply(id, _vm.Snapshot(directory)), false);
                case ConsoleRequest:
                    return (Reply(id, new ConsoleAttached(true)), true);
                default:
                    throw new ArgumentException($"{VmmProtocol.CommandOf(request)} is not handled by this formation-vmm");
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or TimeoutException or IOException or UnauthorizedAccessException)
        {
            return (VmmProtocol.SerializeFailure(new VmmFailure(id, e.Message)), false);
        }
    }

    private async Task ConsoleSession(NetworkStream stream, StreamReader reader)
    {
        var sendLock = new SemaphoreSlim(1, 1);
        using var attachment = _vm.AttachConsole(async chunk =>
        {
            await sendLock.WaitAsync().ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(chunk).ConfigureAwait(false);
            }
            finally
            {
                sendLock.Release();
            }
        });

        // Bytes the line reader already buffered belong to the console.
        var buffered = new char[4096];
        while (reader.Peek() >= 0)
        {
            var n = reader.Read(buffered, 0, buffered.Length);
            _vm.SendConsoleInput(Encoding.UTF8.GetBytes(buffered, 0, n));
        }

        var input = new byte[4096];
        while (true)
        {
            var n = await stream.ReadAsync(input, _stop.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            _vm.SendConsoleInput(input.AsSpan(0, n));
        }
    }

    private static byte[] Reply<TResult>(long? id, TResult result) => VmmProtocol.SerializeReply(new VmmReply<TResult>(id, true, result, null));

    private StateResult State() => new(_vm.State);

    private ExitResult Exit(ExitReason reason) => ExitResult.For(reason, _vm.ExitDetail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Control command {Command}")]
    private partial void LogCommand(string command);
}

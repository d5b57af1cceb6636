using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// The control API on a Unix stream socket: one JSON request per line, one JSON response per line
/// (protocol in Kvm.Native/README.md). Commands: boot, pause, resume, shutdown, kill, wait, info, console.
/// "console" turns the connection into a raw byte stream (guest output out, keyboard input in).
/// </summary>
public sealed partial class ControlServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions WireOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly VirtualMachine _vm;
    private readonly string _path;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _acceptLoop;
    private int _inProgress;

    private ControlServer(VirtualMachine vm, string path, Socket listener, ILogger logger)
    {
        _vm = vm;
        _path = path;
        _listener = listener;
        _logger = logger;
        _acceptLoop = AcceptLoop();
    }

    /// <summary>Listens on <paramref name="path"/> (replacing a stale socket file), mode 0600.</summary>
    public static ControlServer Start(VirtualMachine vm, string path, ILogger logger)
    {
        if (File.Exists(path))
        {
            if (IsListening(path))
            {
                throw new IOException($"control socket {path} is in use by another process");
            }

            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

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

        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }

    private static bool IsListening(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(() => Serve(client));
        }
    }

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
                    (var response, attachConsole) = await Handle(line).ConfigureAwait(false);
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(response.ToJsonString(WireOptions) + "\n"), _stop.Token).ConfigureAwait(false);
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

    private async Task<(JsonObject Response, bool Console)> Handle(string line)
    {
        JsonNode? id = null;
        try
        {
            var request = JsonNode.Parse(line) as JsonObject
                ?? throw new ArgumentException("a request is a JSON object like {\"cmd\":\"info\"}");
            id = request["id"]?.DeepClone();
            var cmd = request["cmd"]?.GetValue<string>()
                ?? throw new ArgumentException("missing \"cmd\" (boot, pause, resume, shutdown, kill, wait, info, console)");
            LogCommand(cmd);
            JsonNode? result;
            switch (cmd)
            {
                case "boot":
                    _vm.Start();
                    result = State();
                    break;
                case "pause":
                    _vm.Pause();
                    result = State();
                    break;
                case "resume":
                    _vm.Resume();
                    result = State();
                    break;
                case "shutdown":
                    var seconds = request["timeoutSeconds"]?.GetValue<double>() ?? 30;
                    if (seconds is <= 0 or > 3600)
                    {
                        throw new ArgumentException("timeoutSeconds must be between 0 and 3600");
                    }

                    result = ExitResult(await _vm.Shutdown(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false));
                    break;
                case "kill":
                    result = ExitResult(await _vm.Kill("kill requested on the control socket").ConfigureAwait(false));
                    break;
                case "wait":
                    result = ExitResult(await _vm.Exited.ConfigureAwait(false));
                    break;
                case "info":
                    result = JsonSerializer.SerializeToNode(_vm.Info(), VmJsonContext.Default.MachineInfo);
                    break;
                case "registers":
                    var array = new JsonArray();
                    foreach (var vcpu in _vm.Registers())
                    {
                        var o = new JsonObject();
                        foreach (var (k, v) in vcpu)
                        {
                            o[k] = v;
                        }

                        array.Add((JsonNode)o);
                    }

                    result = array;
                    break;
                case "console":
                    return (Ok(id, new JsonObject { ["attached"] = true }), true);
                default:
                    throw new ArgumentException($"unknown cmd \"{cmd}\" (boot, pause, resume, shutdown, kill, wait, info, console)");
            }

            return (Ok(id, result), false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or JsonException or TimeoutException or FormatException)
        {
            return (new JsonObject { ["id"] = id, ["ok"] = false, ["error"] = e.Message }, false);
        }
    }

    private async Task ConsoleSession(NetworkStream stream, StreamReader reader)
    {
        var sendLock = new SemaphoreSlim(1, 1);
        using var attachment = _vm.Console.Attach(async chunk =>
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
            _vm.Serial.EnqueueInput(Encoding.UTF8.GetBytes(buffered, 0, n));
        }

        var input = new byte[4096];
        while (true)
        {
            var n = await stream.ReadAsync(input, _stop.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return;
            }

            _vm.Serial.EnqueueInput(input.AsSpan(0, n));
        }
    }

    private JsonObject State() => new() { ["state"] = _vm.State.ToString().ToLowerInvariant() };

    private JsonObject ExitResult(ExitReason reason) => new()
    {
        ["exitReason"] = reason.ToString(),
        ["exitStatus"] = (int)reason,
        ["detail"] = _vm.ExitDetail,
    };

    private static JsonObject Ok(JsonNode? id, JsonNode? result) => new() { ["id"] = id, ["ok"] = true, ["result"] = result };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Control command {Command}")]
    private partial void LogCommand(string command);
}

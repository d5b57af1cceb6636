using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.Images;

/// <summary>
/// A real guest under <c>qemu-system-x86_64 -accel tcg -M pc -no-reboot</c> with a QMP socket, its serial console
/// captured line by line. Lets a test press keys (Ctrl-Alt-Del) through QMP and watch QEMU exit on guest power-off.
/// Killed by PID on dispose.
/// </summary>
internal sealed class QmpMachine : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _socketPath;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _changed = new(0);

    private QmpMachine(Process process, string socketPath)
    {
        _process = process;
        _socketPath = socketPath;
    }

    public string Console
    {
        get
        {
            lock (_lines)
            {
                return string.Join("\n", _lines);
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static QmpMachine Start(string kernel, string initrd, string append)
    {
        var socket = Path.Combine(Path.GetTempPath(), $"formation-qmp-{Guid.NewGuid():N}.sock");
        var args = new List<string>
        {
            "-accel", "tcg", "-M", "pc", "-cpu", "qemu64", "-m", "256", "-smp", "1", "-no-reboot", "-nodefaults",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-qmp", $"unix:{socket},server=on,wait=off",
            "-kernel", kernel, "-initrd", initrd, "-append", append,
        };
        var process = new Process
        {
            StartInfo = new ProcessStartInfo("qemu-system-x86_64", args)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            },
        };
        var machine = new QmpMachine(process, socket);
        process.OutputDataReceived += (_, e) => machine.Add(e.Data);
        process.ErrorDataReceived += (_, e) => machine.Add(e.Data is null ? null : "qemu: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return machine;
    }

    /// <summary>Waits until a console line contains <paramref name="text"/>; false on timeout or QEMU exit.</summary>
    public async Task<bool> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Console.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || _process.HasExited)
            {
                await Task.Delay(100);
                return Console.Contains(text, StringComparison.Ordinal);
            }

            await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>True when QEMU exits by itself within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Presses a key combination on the guest's PS/2 keyboard (QMP <c>send-key</c>), e.g. ctrl, alt, delete.</summary>
    public async Task SendKeysAsync(params string[] qcodes)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath));
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await ReadReplyAsync(reader, "QMP"); // greeting
        await SendAsync(stream, new JsonObject { ["execute"] = "qmp_capabilities" });
        await ReadReplyAsync(reader, "return");
        var keys = new JsonArray([.. qcodes.Select(k => (JsonNode)new JsonObject { ["type"] = "qcode", ["data"] = k })]);
        await SendAsync(stream, new JsonObject { ["execute"] = "send-key", ["arguments"] = new JsonObject { ["keys"] = keys } });
        await ReadReplyAsync(reader, "return");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        File.Delete(_socketPath);
    }

    private static async Task SendAsync(Stream stream, JsonObject command)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToJsonString() + "\n"));
        await stream.FlushAsync();
    }

    /// <summary>Reads QMP messages, skipping asynchronous events, until one has <paramref name="member"/>; fails on "error".</summary>
    private static async Task ReadReplyAsync(StreamReader reader, string member)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException("QMP error: " + error);
            }

            if (doc.RootElement.TryGetProperty(member, out _))
            {
                return;
            }
        }

        throw new InvalidOperationException("QMP connection closed");
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line.TrimEnd('\r'));
        }

        _changed.Release();
    }
}

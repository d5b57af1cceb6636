using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.Pack;

/// <summary>
/// A real guest under <c>qemu-system-x86_64 -accel tcg</c> (software emulation works on any Linux machine), with
/// its serial console captured line by line. Disks are attached with <c>snapshot=on</c> so images stay untouched.
/// With a QMP socket a test can press keys (Ctrl-Alt-Del) and watch QEMU (-no-reboot) exit on guest power-off.
/// Killed by PID on dispose.
/// </summary>
internal sealed class QemuGuest : IDisposable
{
    private readonly Process _process;
    private readonly string? _qmpSocket;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _changed = new(0);

    private QemuGuest(Process process, string? qmpSocket)
    {
        _process = process;
        _qmpSocket = qmpSocket;
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public string Console => string.Join("\n", Lines);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static QemuGuest Start(
        string kernel, string append, string? initrd = null, string? disk = null, int? hostPort = null, int guestPort = 0, int memoryMb = 512, bool qmp = false, bool network = false)
    {
        var args = new List<string>
        {
            "-accel", "tcg", "-M", "pc", "-cpu", "qemu64", "-m", memoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture), "-smp", "1",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nodefaults",
            "-kernel", kernel, "-append", append,
        };
        var qmpSocket = qmp ? Path.Combine(Path.GetTempPath(), $"formation-qmp-{Guid.NewGuid():N}.sock") : null;
        if (qmpSocket is not null)
        {
            args.AddRange(["-qmp", $"unix:{qmpSocket},server=on,wait=off"]);
        }

        if (initrd is not null)
        {
            args.AddRange(["-initrd", initrd]);
        }

        if (disk is not null)
        {
            args.AddRange(["-drive", $"file={disk},format=raw,if=virtio,snapshot=on"]);
        }

        if (hostPort is not null)
        {
            args.AddRange(["-netdev", $"user,id=n0,hostfwd=tcp:127.0.0.1:{hostPort}-:{guestPort}", "-device", "virtio-net-pci,netdev=n0"]);
        }
        else if (network)
        {
            // A NIC without a host port: nothing on the host can be taken by another test meanwhile.
            args.AddRange(["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"]);
        }

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
        var guest = new QemuGuest(process, qmpSocket);
        process.OutputDataReceived += (_, e) => guest.Add(e.Data);
        process.ErrorDataReceived += (_, e) => guest.Add(e.Data is null ? null : "qemu: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return guest;
    }

    /// <summary>Waits until a console line satisfies <paramref name="predicate"/>; returns its index, or -1 on timeout or exit.</summary>
    public async Task<int> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout, int startIndex = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var lines = Lines;
            for (var i = startIndex; i < lines.Count; i++)
            {
                if (predicate(lines[i]))
                {
                    return i;
                }
            }

            var left = deadline - DateTime.UtcNow;
            if (_process.HasExited)
            {
                // QEMU's last words (e.g. why it refused to start) may still be on their way through the output
                // readers: wait for both streams to end, then look once more.
                _process.WaitForExit();
                if (Lines.Count == lines.Count)
                {
                    return -1;
                }

                continue;
            }

            if (left <= TimeSpan.Zero)
            {
                return -1;
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
        var path = _qmpSocket ?? throw new InvalidOperationException("start the guest with qmp: true to send keys");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await ReadQmpReplyAsync(reader, "QMP"); // greeting
        await SendQmpAsync(stream, new JsonObject { ["execute"] = "qmp_capabilities" });
        await ReadQmpReplyAsync(reader, "return");
        var keys = new JsonArray([.. qcodes.Select(k => (JsonNode)new JsonObject { ["type"] = "qcode", ["data"] = k })]);
        await SendQmpAsync(stream, new JsonObject { ["execute"] = "send-key", ["arguments"] = new JsonObject { ["keys"] = keys } });
        await ReadQmpReplyAsync(reader, "return");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        if (_qmpSocket is not null)
        {
            File.Delete(_qmpSocket);
        }
    }

    private static async Task SendQmpAsync(Stream stream, JsonObject command)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToJsonString() + "\n"));
        await stream.FlushAsync();
    }

    /// <summary>Reads QMP messages, skipping asynchronous events, until one has <paramref name="member"/>; fails on "error".</summary>
    private static async Task ReadQmpReplyAsync(StreamReader reader, string member)
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

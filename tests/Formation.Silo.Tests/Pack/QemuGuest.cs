using System.Diagnostics;

namespace Formation.Silo.Tests.Pack;

/// <summary>
/// A real guest under <c>qemu-system-x86_64 -accel tcg</c> (software emulation works on any Linux machine), with
/// its serial console captured line by line. Disks are attached with <c>snapshot=on</c> so images stay untouched.
/// Killed by PID on dispose.
/// </summary>
internal sealed class QemuGuest : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _changed = new(0);

    private QemuGuest(Process process) => _process = process;

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

    public static QemuGuest Start(string kernel, string append, string? initrd = null, string? disk = null, int? hostPort = null, int guestPort = 0, int memoryMb = 512)
    {
        var args = new List<string>
        {
            "-accel", "tcg", "-M", "pc", "-cpu", "qemu64", "-m", memoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture), "-smp", "1",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nodefaults",
            "-kernel", kernel, "-append", append,
        };
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
        var guest = new QemuGuest(process);
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
            if (left <= TimeSpan.Zero || (_process.HasExited && Lines.Count == lines.Count))
            {
                return -1;
            }

            await _changed.WaitAsync(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500));
        }
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

    /// <summary>A free TCP port on 127.0.0.1 for a host forward.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

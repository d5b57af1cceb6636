using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Formation.Vmm.Protocol;

namespace Formation.Bench.Vmm;

/// <summary>
/// formation-vmm restore-to-running against a cold boot of the same guest, in the same run: each round boots the guest
/// kernel with an initramfs that answers console lines (cold: process start to the marker), snapshots it (pause, snapshot,
/// kill), and starts a new formation-vmm from the snapshot (restore: process start to the guest's answer to a console
/// line). Also the snapshot's size against the guest memory the VM had touched (resident guest RAM when it was taken),
/// and the restored VMM's resident guest RAM once it answered (what the copy-on-write mapping pulled in). seccomp on,
/// no --run-as (so it runs without root's jail set-up).
/// </summary>
internal static class SnapshotBench
{
    private const int MemoryMiB = 256;

    public static async Task<int> RunAsync(string vmm, string kernel, int runs, string append, bool keep)
    {
        var dir = Directory.CreateTempSubdirectory("formation-bench-snapshot-").FullName;
        var initrd = Path.Combine(dir, "initrd.cpio");
        Initramfs.WriteEcho(initrd);
        Console.WriteLine($"snapshot benchmark: kernel {kernel}, {MemoryMiB} MiB, 1 vCPU, {runs} rounds; {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}");
        var cold = new List<double>();
        var restored = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var snapshot = Path.Combine(dir, $"snapshot-{run}");
            Directory.CreateDirectory(snapshot);
            var config = new VmmConfig
            {
                Kernel = kernel, Initrd = initrd, Cmdline = "console=ttyS0 panic=-1" + append, MemoryMiB = MemoryMiB, Rng = false,
                ConsoleLog = Path.Combine(dir, $"cold-{run}.log"), ControlSocket = Path.Combine(dir, $"cold-{run}.sock"),
            };

            // Cold boot to the marker, then the snapshot.
            var (process, watch) = Start(vmm, dir, $"cold-{run}", config);
            double boot;
            SnapshotResult result;
            double snapshotMs;
            long? touchedKiB;
            using (process)
            using (KillOnExit(process))
            {
                boot = await WaitForAsync(config.ConsoleLog!, Initramfs.Marker, watch, process, TimeSpan.FromMinutes(6));
                await AnswerAsync(config, "cold", watch, process);
                touchedKiB = Memory.Sample(process.Id, MemoryMiB) is { } s ? s.Rss - s.Overhead : null;
                await VmmControlClient.SendAsync(config.ControlSocket!, new PauseRequest(), CancellationToken.None);
                var clock = Stopwatch.StartNew();
                result = await VmmControlClient.SendAsync(config.ControlSocket!, new SnapshotRequest(snapshot), CancellationToken.None);
                snapshotMs = clock.Elapsed.TotalMilliseconds;
                await VmmControlClient.SendAsync(config.ControlSocket!, new KillRequest(), CancellationToken.None);
                await process.WaitForExitAsync();
            }

            var allocated = Allocated(Path.Combine(snapshot, "memory.bin"));
            Console.WriteLine($"round {run + 1}: cold boot to marker {boot:F2} s; snapshot in {snapshotMs:F0} ms: memory file {result.MemoryBytes >> 20} MiB, data {result.MemoryDataBytes / 1048576.0:F1} MiB " +
                $"({allocated / 1048576.0:F1} MiB allocated on disk), guest memory touched (resident) {(touchedKiB is { } t ? $"{t / 1024.0:F1} MiB" : "n/a")}");

            // Restore: a new process from the snapshot, to the guest's answer on its console.
            var restore = config with
            {
                Kernel = null, Initrd = null, RestoreFrom = snapshot,
                ConsoleLog = Path.Combine(dir, $"restore-{run}.log"), ControlSocket = Path.Combine(dir, $"restore-{run}.sock"),
            };
            (process, watch) = Start(vmm, dir, $"restore-{run}", restore);
            using (process)
            using (KillOnExit(process))
            {
                var up = await AnswerAsync(restore, "restored", watch, process);
                var resident = Memory.Sample(process.Id, MemoryMiB) is { } s ? $"{(s.Rss - s.Overhead) / 1024.0:F1} MiB" : "n/a";
                Console.WriteLine($"round {run + 1}: restore to control socket {up.Socket * 1000:F0} ms, to the guest's answer {up.Answer * 1000:F0} ms; " +
                    $"restored guest RAM resident {resident}; ratio restore/cold boot {up.Answer / boot:F4}");
                cold.Add(boot);
                restored.Add(up.Answer);
                await VmmControlClient.SendAsync(restore.ControlSocket!, new KillRequest(), CancellationToken.None);
                await process.WaitForExitAsync();
            }
        }

        cold.Sort();
        restored.Sort();
        Console.WriteLine($"median cold boot to marker {Median(cold):F2} s, median restore to the guest's answer {Median(restored) * 1000:F0} ms, " +
            $"ratio {Median(restored) / Median(cold):F4} (goal ≤ 0.1)");
        if (keep)
        {
            Console.WriteLine($"logs and snapshots kept in {dir}");
        }
        else
        {
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    /// <summary>Kills a formation-vmm left running when a round fails (it runs in this benchmark's session).</summary>
    private static IDisposable KillOnExit(Process process) => new Killer(process);

    private sealed class Killer(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
    }

    private static (Process, Stopwatch) Start(string vmm, string dir, string name, VmmConfig config)
    {
        var path = Path.Combine(dir, name + ".json");
        File.WriteAllText(path, VmmProtocol.SerializeConfig(config));
        var psi = new ProcessStartInfo(vmm) { RedirectStandardError = true };
        foreach (var a in new[] { "--config", path, "--no-setsid", "--log", Path.Combine(dir, name + ".vmm.log") })
        {
            psi.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        return (Process.Start(psi)!, watch);
    }

    /// <summary>Seconds (on <paramref name="watch"/>) until the control socket answers and until the guest answers a console line.</summary>
    private static async Task<(double Socket, double Answer)> AnswerAsync(VmmConfig config, string word, Stopwatch watch, Process process)
    {
        Socket? console = null;
        while (console is null)
        {
            if (process.HasExited || watch.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new InvalidOperationException($"formation-vmm did not open its control socket: {await process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                console = await VmmControlClient.OpenConsoleAsync(config.ControlSocket!, CancellationToken.None);
            }
            catch (SocketException)
            {
                await Task.Delay(1);
            }
        }

        var socket = watch.Elapsed.TotalSeconds;
        using (console)
        {
            await console.SendAsync(Encoding.ASCII.GetBytes(word + "\n"));
            var answer = await WaitForAsync(config.ConsoleLog!, $"echo:{word}", watch, process, TimeSpan.FromMinutes(2));
            return (socket, answer);
        }
    }

    private static async Task<double> WaitForAsync(string log, string text, Stopwatch watch, Process process, TimeSpan timeout)
    {
        while (true)
        {
            if (File.Exists(log))
            {
                using var s = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                if (new StreamReader(s).ReadToEnd().Contains(text, StringComparison.Ordinal))
                {
                    return watch.Elapsed.TotalSeconds;
                }
            }

            if (process.HasExited || watch.Elapsed > timeout)
            {
                throw new InvalidOperationException($"no '{text}' in {log} ({(process.HasExited ? $"exit {process.ExitCode}" : "timeout")})");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>Bytes the file occupies on disk (st_blocks × 512, from du): a sparse file's holes take none.</summary>
    private static long Allocated(string path)
    {
        var du = Process.Start(new ProcessStartInfo("du", ["--block-size=1", path]) { RedirectStandardOutput = true })!;
        var text = du.StandardOutput.ReadToEnd();
        du.WaitForExit();
        return long.Parse(text.Split('\t')[0], CultureInfo.InvariantCulture);
    }

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

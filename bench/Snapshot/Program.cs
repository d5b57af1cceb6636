using System.Diagnostics;
using System.Globalization;
using Formation.Bench.Snapshot;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Platform;
using Formation.Silo.Snapshots;
using Formation.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// qemu snapshot/restore through the silo's own driver, store and snapshot procedure, jailed as on a node (root):
//  1. restore-to-running vs cold boot of the same guest, alternating runs in the same process;
//  2. snapshot size (and pause) vs guest memory touched.
// The guest fills its initramfs root (tmpfs, at most half the guest's memory): keep --touch below --memory / 2.
// Usage: dotnet run -c Release --project bench/Snapshot -- [--runs N] [--memory MiB] [--touch 0,32,96] [--accel auto|kvm|tcg] [--no-jail]
var runs = 3;
var memoryMiB = 256L;
long[] touches = [0, 32, 96];
var accel = "auto";
var jail = true;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--memory": memoryMiB = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--touch": touches = [.. args[++i].Split(',').Select(t => long.Parse(t, CultureInfo.InvariantCulture))]; break;
        case "--accel": accel = args[++i]; break;
        case "--no-jail": jail = false; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var kernel = Path.Combine(Environment.GetEnvironmentVariable("FORMATION_CACHE_DIR") ?? "/var/cache/formation", "guest-kernel", "current", "bzImage");
if (!File.Exists(kernel) || !File.Exists("/bin/busybox") || !HostFacts.OnPath("qemu-system-x86_64"))
{
    Console.Error.WriteLine($"needs {kernel} (scripts/build-guest-kernel), /bin/busybox (busybox-static) and qemu-system-x86_64");
    return 1;
}

var data = Directory.CreateTempSubdirectory("formation-bench-snapshot-").FullName;
var initrd = Path.Combine(data, "initrd.cpio");
GuestImage.Write(initrd);
if (!jail)
{
    Environment.SetEnvironmentVariable(VmJailOptions.BenchmarkEnvironmentVariable, "1"); // --no-jail: the driver asks for it (the silo refuses it always)
}

var options = new QemuOptions { Accelerator = accel, Jail = new VmJailOptions { Enabled = jail, CgroupParent = "formation-bench-snapshot" } };
var driver = new QemuDriver(Options.Create(options), HostFacts.Probe(data), NullLogger<QemuDriver>.Instance);
var store = new SnapshotStore(data);
Console.WriteLine($"qemu {(driver.UsesKvm ? "kvm" : "tcg")}, jail {(jail ? "on" : "off")}; guest {memoryMiB} MiB, 1 vCPU, tiny initramfs; " +
    $"{runs} runs each, alternating; {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}");

try
{
    // 1. Size vs memory touched (and one snapshot per size to restore from below).
    var snapshots = new List<(long Touch, SnapshotInfo Snapshot)>();
    foreach (var touch in touches)
    {
        var (directory, launch) = NewVm(touch);
        var process = await driver.LaunchAsync(launch, directory, CancellationToken.None);
        await WaitForAsync(directory, GuestImage.Filled, 0, TimeSpan.FromMinutes(5));
        var template = new SnapshotInfo("", $"bench-{touch}", launch.VmId, launch.Name, "bench", launch.Driver, launch.VCpus, launch.MemoryMiB, 0, null,
            DateTimeOffset.UtcNow, 0, 0);
        var taken = await SnapshotTaker.TakeAsync(process, null, store, template, leavePaused: false, CancellationToken.None);
        await process.KillAsync(CancellationToken.None);
        await process.DisposeAsync();
        snapshots.Add((touch, taken.Snapshot));
        Console.WriteLine($"touched {touch,4} MiB of {memoryMiB} MiB: snapshot {Mib(taken.Snapshot.StateBytes)} MiB ({100.0 * taken.Snapshot.StateBytes / (memoryMiB << 20):F1} % of memory), " +
            $"VM paused {taken.Paused.TotalMilliseconds:F0} ms, snapshot with digest and commit {taken.Total.TotalMilliseconds:F0} ms");
    }

    // 2. Cold boot vs restore of the same guest (the first size), alternating.
    var (touched, from) = snapshots[0];
    var cold = new List<double>();
    var running = new List<double>();
    var firstOutput = new List<double>();
    for (var run = 0; run < runs; run++)
    {
        foreach (var restore in run % 2 == 0 ? new[] { false, true } : [true, false])
        {
            var (directory, launch) = NewVm(touched);
            var clock = Stopwatch.StartNew();
            if (restore)
            {
                var process = await driver.LaunchAsync(launch with { RestoreFrom = store.MachineDirectory(from) }, directory, CancellationToken.None);
                running.Add(clock.Elapsed.TotalMilliseconds);
                await WaitForAsync(directory, GuestImage.Tick, 0, TimeSpan.FromMinutes(1));
                firstOutput.Add(clock.Elapsed.TotalMilliseconds);
                await process.KillAsync(CancellationToken.None);
                await process.DisposeAsync();
            }
            else
            {
                var process = await driver.LaunchAsync(launch, directory, CancellationToken.None);
                await WaitForAsync(directory, GuestImage.Ready, 0, TimeSpan.FromMinutes(5));
                cold.Add(clock.Elapsed.TotalMilliseconds);
                await process.KillAsync(CancellationToken.None);
                await process.DisposeAsync();
            }
        }
    }

    Console.WriteLine($"cold boot to {GuestImage.Ready}: median {Median(cold):F0} ms ({string.Join(", ", cold.Select(c => c.ToString("F0", CultureInfo.InvariantCulture)))})");
    Console.WriteLine($"restore to running (QMP cont done): median {Median(running):F0} ms ({string.Join(", ", running.Select(c => c.ToString("F0", CultureInfo.InvariantCulture)))})");
    Console.WriteLine($"restore to the guest's next output: median {Median(firstOutput):F0} ms ({string.Join(", ", firstOutput.Select(c => c.ToString("F0", CultureInfo.InvariantCulture)))})");
    Console.WriteLine($"restore-to-running / cold boot = {Median(running) / Median(cold):F2}; snapshot of {Mib(from.StateBytes)} MiB");
    return 0;
}
finally
{
    foreach (var pidFile in Directory.EnumerateFiles(data, "vm.pid", SearchOption.AllDirectories))
    {
        if (ProcessInfo.TryReadPid(pidFile, out var pid) && ProcessInfo.IsAlive(pid))
        {
            ProcessInfo.Kill(pid);
        }
    }

    Directory.Delete(data, recursive: true);
}

(VmDirectory Directory, VmLaunch Launch) NewVm(long touch)
{
    var vmId = "bench-" + Guid.NewGuid().ToString("N")[..8];
    var directory = VmDirectory.For(data, vmId);
    Directory.CreateDirectory(directory.Path);
    File.Copy(kernel, directory.Kernel);
    File.Copy(initrd, directory.Initrd);
    return (directory, new VmLaunch(vmId, "bench", DriverNames.Qemu, 1, memoryMiB, $"console=ttyS0 panic=-1 touch={touch}", HasInitrd: true, HasDisk: false,
        null, [], Running: true));
}

static async Task WaitForAsync(VmDirectory directory, string marker, long offset, TimeSpan timeout)
{
    var deadline = DateTime.UtcNow + timeout;
    while (!(File.Exists(directory.ConsoleLog) && File.ReadAllText(directory.ConsoleLog)[(int)Math.Min(offset, new FileInfo(directory.ConsoleLog).Length)..].Contains(marker, StringComparison.Ordinal)))
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"no '{marker}' on the console of {directory.VmId} within {timeout.TotalSeconds:0} s");
        }

        await Task.Delay(5);
    }
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

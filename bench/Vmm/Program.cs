using System.Diagnostics;
using System.Globalization;
using Formation.Bench.Vmm;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Platform;
using Formation.Vmm.Protocol;

// Boot-to-/init and boot-to-marker: formation-vmm vs qemu-system-x86_64 -M microvm -accel kvm, same kernel,
// initramfs and command line, alternating runs; then VMM memory overhead (RSS minus resident guest RAM).
// Usage: dotnet run -c Release --project bench/Vmm -- [--runs N] [--vmm path/to/formation-vmm] [--no-qemu] [--vsock]
//        [--append "printk.time=1 ..."] [--keep] [--jail] [--snapshot]   (--keep leaves the console logs of every run in the temp directory)
// --vsock (root) instead measures echo throughput over the virtio-vsock device against TCP over virtio-net, same guest,
// same run (VsockBench); --runs is then the number of rounds.
// --snapshot: restore-to-running against a cold boot of the same guest and snapshot size (SnapshotBench), instead of the above.
// --jail (root) adds, in each round, formation-vmm as the kvm driver jails it: its own uid (--run-as), the seccomp
// allow-list, and a cgroup with the driver's limits; the plain formation-vmm runs are then without any of it.
var runs = 2;
var vmm = Path.Combine(AppContext.BaseDirectory, "formation-vmm");
var qemu = true;
var append = "";
var keep = false;
var jailed = false;
var vsockBench = false;
var snapshotBench = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--vmm": vmm = Path.GetFullPath(args[++i]); break;
        case "--no-qemu": qemu = false; break;
        case "--append": append = " " + args[++i]; break;
        case "--keep": keep = true; break;
        case "--jail": jailed = true; break;
        case "--vsock": vsockBench = true; break;
        case "--snapshot": snapshotBench = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var kernel = Path.Combine(Environment.GetEnvironmentVariable("FORMATION_CACHE_DIR") ?? "/var/cache/formation", "guest-kernel", "current", "vmlinux");
if (!File.Exists(kernel) || !File.Exists("/bin/busybox"))
{
    Console.Error.WriteLine($"needs {kernel} (scripts/build-guest-kernel) and /bin/busybox (busybox-static)");
    return 1;
}

if (vsockBench)
{
    return await VsockBench.RunAsync(vmm, kernel, runs);
}

if (snapshotBench)
{
    return await SnapshotBench.RunAsync(vmm, kernel, runs, append, keep);
}

var dir = Directory.CreateTempSubdirectory("formation-bench-vmm-").FullName;
var initrd = Path.Combine(dir, "initrd.cpio");
Initramfs.Write(initrd);
var pvm = !File.ReadAllText("/proc/cpuinfo").Split(' ', '\n', '\t').Any(f => f is "vmx" or "svm");
const int MemoryMiB = 256;
var baseCmdline = "console=ttyS0 panic=-1" + append;
var pvmCmdline = Formation.Kvm.Native.Machine.HostProbe.PvmCommandLine;
Console.WriteLine($"kernel {kernel}; nested PVM host: {pvm}; {runs} runs each, alternating; {Environment.ProcessorCount} CPUs, load {File.ReadAllText("/proc/loadavg").Trim()}");

var results = new List<BootRun>();
var timeout = TimeSpan.FromMinutes(6);
for (var run = 0; run < runs; run++)
{
    // Jailed and plain runs swap places every round, so neither always boots right after QEMU.
    foreach (var jail in jailed ? (run % 2 == 0 ? new[] { false, true } : [true, false]) : [false])
    {
        var console = Path.Combine(dir, $"console-{run}{(jail ? "-jailed" : "")}.log");
        File.WriteAllText(Path.Combine(dir, "vm.json"), VmmProtocol.SerializeConfig(new VmmConfig
        {
            Kernel = kernel, Initrd = initrd, Cmdline = baseCmdline, MemoryMiB = MemoryMiB, Rng = false, ConsoleLog = console,
        }));
        List<string> vmmArgs = ["--config", Path.Combine(dir, "vm.json"), "--no-setsid"];
        if (keep)
        {
            vmmArgs.AddRange(["--log", Path.Combine(dir, $"vmm-{run}{(jail ? "-jailed" : "")}.log")]);
        }

        var name = Path.GetFileName(Path.GetDirectoryName(vmm)!) == "publish" || vmm.Contains("aot", StringComparison.OrdinalIgnoreCase) ? "formation-vmm (AOT)" : "formation-vmm";
        HostCgroup? cgroup = null;
        ProcessStartInfo psi;
        if (jail)
        {
            var limits = new VmJailOptions();
            cgroup = HostCgroup.Create("formation-bench-vmm", $"run-{run}", new CgroupLimits(limits.PidsMax, (MemoryMiB + new KvmOptions().MemoryOverheadMiB) << 20, 1 + limits.CpuOverhead));
            psi = new ProcessStartInfo("/bin/sh");
            foreach (var a in cgroup.EnterArguments(vmm, [.. vmmArgs, "--run-as", $"{limits.UidBase + limits.UidCount - 1}"]))
            {
                psi.ArgumentList.Add(a);
            }

            name += " jailed";
        }
        else
        {
            psi = new ProcessStartInfo(vmm);
            foreach (var a in vmmArgs.Append("--no-seccomp"))
            {
                psi.ArgumentList.Add(a);
            }
        }

        var r = await Runner.RunAsync(name, psi, console, MemoryMiB, timeout);
        Report(r);
        results.Add(r);
        if (cgroup is not null)
        {
            // What the cgroup charged at its peak (anonymous memory, page cache, KVM's kernel memory): memory.max's margin.
            var peak = cgroup.ProcsFiles.Select(Path.GetDirectoryName)
                .SelectMany(d => new[] { Path.Combine(d!, "memory.peak"), Path.Combine(d!, "memory.max_usage_in_bytes") })
                .FirstOrDefault(File.Exists);
            if (peak is not null)
            {
                var bytes = long.Parse(File.ReadAllText(peak).Trim(), CultureInfo.InvariantCulture);
                Console.WriteLine($"  cgroup peak {bytes / 1048576.0:F1} MiB of memory.max {(MemoryMiB + new KvmOptions().MemoryOverheadMiB)} MiB (guest RAM {MemoryMiB} MiB)");
            }

            cgroup.Dispose();
        }
    }

    if (qemu)
    {
        var q = new ProcessStartInfo("qemu-system-x86_64")
        {
            ArgumentList =
            {
                "-M", "microvm", "-accel", "kvm", "-cpu", pvm ? "host,-arch-capabilities,-cx16" : "host", "-m", $"{MemoryMiB}",
                "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio", "-no-reboot",
                "-kernel", kernel, "-initrd", initrd, "-append", pvm ? $"{baseCmdline} {pvmCmdline}" : baseCmdline,
            },
        };
        var qr = await Runner.RunAsync("qemu microvm", q, null, null, timeout, keep ? Path.Combine(dir, $"qemu-console-{run}.log") : null);
        Report(qr);
        results.Add(qr);
    }
}

Console.WriteLine();
foreach (var jail in jailed ? new[] { false, true } : [false])
{
    Summary(jail, "to /init", r => r.InitSeconds);
    Summary(jail, "to marker", r => r.MarkerSeconds);
    Summary(jail, "to exit", r => r.ExitSeconds);
}

if (jailed)
{
    JailCost("to marker", r => r.MarkerSeconds);
    JailCost("RSS outside guest RAM", r => r.OverheadKiB / 1024.0);
}
foreach (var r in results.Where(r => r.OverheadKiB is not null))
{
    Console.WriteLine($"{r.Vmm}: RSS {r.RssKiB / 1024.0:F1} MiB, of which outside guest RAM {r.OverheadKiB / 1024.0:F1} MiB (goal ≤ 16 MiB)");
}

if (jailed)
{
    HostCgroup.Remove("", "formation-bench-vmm");
}

if (keep)
{
    Console.WriteLine($"console logs kept in {dir}");
}
else
{
    Directory.Delete(dir, recursive: true);
}

return 0;

void Report(BootRun r) =>
    Console.WriteLine($"{r.Vmm,-22} /init {Fmt(r.InitSeconds)} s  marker {Fmt(r.MarkerSeconds)} s  exit {r.ExitSeconds:F1} s"
        + (r.OverheadKiB is { } o ? $"  RSS {r.RssKiB / 1024.0:F1} MiB, overhead {o / 1024.0:F1} MiB" : ""));

static double Median(List<double> sorted) =>
    sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

string Fmt(double? s) => s is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "n/a";

List<double> Ours(bool jail, Func<BootRun, double?> pick) =>
    results.Where(r => r.Vmm.StartsWith("formation", StringComparison.Ordinal) && r.Vmm.EndsWith(" jailed", StringComparison.Ordinal) == jail)
        .Select(pick).OfType<double>().Order().ToList();

void JailCost(string what, Func<BootRun, double?> pick)
{
    var plain = Ours(false, pick);
    var jail = Ours(true, pick);
    if (plain.Count > 0 && jail.Count > 0)
    {
        Console.WriteLine($"jail cost, {what}: jailed median {Median(jail):F1}, unjailed median {Median(plain):F1}, ratio {Median(jail) / Median(plain):F2} (goal ≤ 1.10)");
    }
}

void Summary(bool jail, string what, Func<BootRun, double?> pick)
{
    var ours = Ours(jail, pick);
    what = jail ? what + " (jailed)" : what;
    var theirs = results.Where(r => r.Vmm.StartsWith("qemu", StringComparison.Ordinal)).Select(pick).OfType<double>().Order().ToList();
    if (ours.Count == 0 || theirs.Count == 0)
    {
        Console.WriteLine($"{what}: formation-vmm median {(ours.Count > 0 ? Median(ours).ToString("F1", CultureInfo.InvariantCulture) : "n/a")} s; no QEMU figure to compare");
        return;
    }

    var a = Median(ours);
    var b = Median(theirs);
    Console.WriteLine($"{what}: formation-vmm median {a:F1} s, qemu microvm median {b:F1} s, ratio {a / b:F2} (goal ≤ 1.0)");
}

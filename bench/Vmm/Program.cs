using System.Diagnostics;
using System.Globalization;
using Formation.Bench.Vmm;
using Formation.Vmm.Protocol;

// Boot-to-/init and boot-to-marker: formation-vmm vs qemu-system-x86_64 -M microvm -accel kvm, same kernel,
// initramfs and command line, alternating runs; then VMM memory overhead (RSS minus resident guest RAM).
// Usage: dotnet run -c Release --project bench/Vmm -- [--runs N] [--vmm path/to/formation-vmm] [--no-qemu]
//        [--append "printk.time=1 ..."] [--keep]   (--keep leaves the console logs of every run in the temp directory)
var runs = 2;
var vmm = Path.Combine(AppContext.BaseDirectory, "formation-vmm");
var qemu = true;
var append = "";
var keep = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--vmm": vmm = Path.GetFullPath(args[++i]); break;
        case "--no-qemu": qemu = false; break;
        case "--append": append = " " + args[++i]; break;
        case "--keep": keep = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var kernel = Path.Combine(Environment.GetEnvironmentVariable("FORMATION_CACHE_DIR") ?? "/var/cache/formation", "guest-kernel", "current", "vmlinux");
if (!File.Exists(kernel) || !File.Exists("/bin/busybox"))
{
    Console.Error.WriteLine($"needs {kernel} (scripts/build-guest-kernel) and /bin/busybox (busybox-static)");
    return 1;
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
    var console = Path.Combine(dir, $"console-{run}.log");
    File.WriteAllText(Path.Combine(dir, "vm.json"), VmmProtocol.SerializeConfig(new VmmConfig
    {
        Kernel = kernel, Initrd = initrd, Cmdline = baseCmdline, MemoryMiB = MemoryMiB, Rng = false, ConsoleLog = console,
    }));
    var psi = new ProcessStartInfo(vmm) { ArgumentList = { "--config", Path.Combine(dir, "vm.json"), "--no-setsid" } };
    if (keep)
    {
        psi.ArgumentList.Add("--log");
        psi.ArgumentList.Add(Path.Combine(dir, $"vmm-{run}.log"));
    }

    var r = await Runner.RunAsync(Path.GetFileName(Path.GetDirectoryName(vmm)!) == "publish" || vmm.Contains("aot", StringComparison.OrdinalIgnoreCase) ? "formation-vmm (AOT)" : "formation-vmm", psi, console, MemoryMiB, timeout);
    Report(r);
    results.Add(r);

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
Summary("to /init", r => r.InitSeconds);
Summary("to marker", r => r.MarkerSeconds);
Summary("to exit", r => r.ExitSeconds);
foreach (var r in results.Where(r => r.OverheadKiB is not null))
{
    Console.WriteLine($"{r.Vmm}: RSS {r.RssKiB / 1024.0:F1} MiB, of which outside guest RAM {r.OverheadKiB / 1024.0:F1} MiB (goal ≤ 16 MiB)");
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

void Summary(string what, Func<BootRun, double?> pick)
{
    var ours = results.Where(r => r.Vmm.StartsWith("formation", StringComparison.Ordinal)).Select(pick).OfType<double>().Order().ToList();
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

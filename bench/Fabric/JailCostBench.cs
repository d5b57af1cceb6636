using System.Diagnostics;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Network;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Formation.Silo.Vms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Bench.Fabric;

/// <summary>
/// The VM jail's cost on boots: the same tiny image booted by the same driver with the jail (its own uid, cgroup,
/// QEMU's <c>-sandbox</c>/<c>-chroot</c>/<c>-runas</c>, formation-vmm's <c>--run-as</c> and seccomp) and without it
/// (<see cref="VmJailOptions.Enabled"/> false, allowed only with <see cref="VmJailOptions.BenchmarkEnvironmentVariable"/>;
/// the silo refuses it), alternating on and off so drift hits both alike; launch until the guest's readiness line. The
/// driver is called directly: a silo never launches unjailed, and the fabric's share of a boot does not depend on it.
/// </summary>
public static class JailCostBench
{
    private const string Formfile = "NAME bench-jail\nFROM tiny\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\"]\n";

    public static async Task RunAsync(BenchOptions options)
    {
        Environment.SetEnvironmentVariable(VmJailOptions.BenchmarkEnvironmentVariable, "1");
        var runs = options.Int("runs", 7);
        var kvmRuns = options.Int("kvm-runs", 3);
        var dir = Path.Combine(Path.GetTempPath(), "formation-bench", "jail-" + Guid.NewGuid().ToString("N")[..8]);
        Console.WriteLine($"== jail cost: the same boot with the VM jail on and off, alternating; {Environment.ProcessorCount} CPUs, load {Load()}");
        try
        {
            var pack = new PackOptions { DataDirectory = Path.Combine(dir, "pack") };
            var store = new ImageStore(pack);
            var manifest = await new ImageBuilder(pack, store).BuildAsync(new BuildRequest(Formfile));
            var kernel = manifest.Kernel?.Path ?? throw new InvalidOperationException("no guest kernel: run scripts/build-guest-kernel");
            var image = (await store.GetAsync(manifest.Digest))!;
            var vms = dir; // VmDirectory.For adds vms/

            Console.WriteLine($"jail set-up alone (uid, file modes, cgroup made and removed): {SetUpMs(vms):0.0} ms median of 21");
            Console.WriteLine($"{"driver (boots each)",-28} {"jail on",9} {"off",9} {"on/off",7} {"best on",9} {"best off",9} {"on/off",7}  goal <= 1.10");
            await CompareAsync($"qemu ({runs})", runs, vms, image, kernel, manifest.KernelCommandLine,
                jail => new QemuDriver(Options.Create(new QemuOptions { Jail = Jail(jail) }), HostFacts.Probe(dir), NullLogger<QemuDriver>.Instance));
            if (kvmRuns > 0 && File.Exists("/dev/kvm") && KvmDriver.FindBinary() is not null)
            {
                await CompareAsync($"formation-vmm ({kvmRuns})", kvmRuns, vms, image, kernel, manifest.KernelCommandLine,
                    jail => new KvmDriver(Options.Create(new KvmOptions { Jail = Jail(jail) }), NullLogger<KvmDriver>.Instance));
            }
            else
            {
                Console.WriteLine("formation-vmm: skipped (--kvm-runs 0, no /dev/kvm or no formation-vmm next to this program)");
            }

            Console.WriteLine($"load at the end {Load()}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static VmJailOptions Jail(bool on) => new() { Enabled = on, CgroupParent = "formation-bench-jail" };

    private static async Task CompareAsync(
        string name, int runs, string vms, ImageStoreEntry image, string kernel, string cmdline, Func<bool, IHypervisorDriver> driver)
    {
        var on = new List<double>();
        var off = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            foreach (var jailed in i % 2 == 0 ? new[] { true, false } : [false, true])
            {
                (jailed ? on : off).Add(await BootAsync(driver(jailed), vms, image, kernel, cmdline, i));
            }
        }

        Console.WriteLine($"{name,-28} {Stats.Median(on),9:0} {Stats.Median(off),9:0} {Stats.Median(on) / Stats.Median(off),7:0.00} " +
            $"{on.Min(),9:0} {off.Min(),9:0} {on.Min() / off.Min(),7:0.00}  {(on.Min() / off.Min() <= 1.10 ? "met (best of)" : "NOT met (best of)")}");
        Console.WriteLine($"  on  ms: {string.Join(" ", on.Select(v => v.ToString("0")))}");
        Console.WriteLine($"  off ms: {string.Join(" ", off.Select(v => v.ToString("0")))}");
    }

    /// <summary>Launch → readiness line of one VM with a TAP of its own, then kill it and remove its files.</summary>
    private static async Task<double> BootAsync(IHypervisorDriver driver, string vms, ImageStoreEntry image, string kernel, string cmdline, int run)
    {
        var id = $"jail-{Guid.NewGuid():N}"[..13];
        var directory = VmDirectory.For(vms, id);
        await VmArtifacts.PrepareAsync(image, kernel, 1, directory, CancellationToken.None);
        var tap = $"fbjail{run % 100}";
        await Ip("tuntap", "add", "dev", tap, "mode", "tap");
        await Ip("link", "set", tap, "up");
        try
        {
            var network = new VmNetwork(tap, "02:fa:00:00:00:02", "10.251.0.2", "10.251.0.1", "255.255.255.0", 24);
            var launch = new VmLaunch(id, "jail", driver.Name, 1, 256, $"{cmdline} {network.KernelArgument("jail")} panic=-1", true, false, network, [], true);
            var sw = Stopwatch.StartNew();
            var process = await driver.LaunchAsync(launch, directory, CancellationToken.None);
            try
            {
                var ready = await ConsoleLog.WaitForAsync(directory.ConsoleLog, 0, Formation.Images.ImageManifest.ReadyLine, TimeSpan.FromMinutes(10), process.Exited, CancellationToken.None);
                var elapsed = sw.Elapsed.TotalMilliseconds;
                return ready ? elapsed : throw new InvalidOperationException($"{driver.Name} boot ended without the readiness line");
            }
            finally
            {
                await process.KillAsync(CancellationToken.None); // also when the boot timed out: never leave a VM behind
                await process.DisposeAsync();
            }
        }
        finally
        {
            await Ip("link", "del", tap);
            Directory.Delete(directory.Path, recursive: true);
        }
    }

    /// <summary>What the jail itself adds before a launch and after it: median of <c>VmJail.Prepare</c> plus removing its cgroup.</summary>
    private static double SetUpMs(string vms)
    {
        var options = Jail(true);
        var samples = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var id = $"setup-{i}";
            var directory = VmDirectory.For(vms, id);
            Directory.CreateDirectory(directory.Path);
            var sw = Stopwatch.StartNew();
            VmJail.Prepare(new VmLaunch(id, "setup", DriverNames.Qemu, 1, 256, "", true, false, null, [], true), directory, options, 192);
            VmJail.Release(id, options);
            samples.Add(sw.Elapsed.TotalMilliseconds);
            Directory.Delete(directory.Path, recursive: true);
        }

        return Stats.Median(samples);
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Trim();

    private static Task<string> Ip(params string[] args) => ProcessRunner.CaptureAsync("ip", args, CancellationToken.None);
}

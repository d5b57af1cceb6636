using System.Diagnostics;
using Formation.Cli.Connection;
using Formation.Cli.Context;
using Formation.Connection;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Network;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Formation.Testing;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Bench.Fabric;

/// <summary>
/// Real VMs under the qemu driver. (1) Fabric overhead: create → Running through the cluster, minus a raw
/// qemu boot of the same kernel and initramfs to the same readiness line, alternating, same run. (2) VMs per host:
/// N tiny VMs started at once — time until all are Running, and host memory per VM.
/// </summary>
public static class DeployBench
{
    private const string Formfile = "NAME bench\nFROM tiny\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\"]\n";

    public static async Task RunAsync(BenchOptions options)
    {
        var runs = options.Int("runs", 5);
        var count = options.Int("vms", 8);
        var dir = Path.Combine(Path.GetTempPath(), "formation-bench", "deploy-" + Guid.NewGuid().ToString("N")[..8]);
        Console.WriteLine($"== deploy: qemu driver, {runs} alternating runs, then {count} VMs at once");
        var silo = await SiloProcess.StartAsync(new SiloProcessOptions("bench-deploy", dir) { Driver = "qemu" });
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(
                new ConnectionSettings(silo.Gateway, null, "formation", "formation", TimeSpan.FromSeconds(10), SiloProcess.AdminCredentialFor(silo.Options.GatewayPort)), CancellationToken.None);
            var client = connection.Client;

            // The image is built through the cluster, as `form pack build` does, so VMs are created the normal way.
            var context = Path.Combine(dir, "context");
            Directory.CreateDirectory(context);
            await File.WriteAllTextAsync(Path.Combine(context, "Formfile"), Formfile);
            var build = await new RemoteBuild(client, "bench-deploy", TextWriter.Null).RunAsync(LocalFormfile.Load(context, null), "bench:1", CancellationToken.None);
            var manifest = build.Manifest ?? throw new InvalidOperationException($"the benchmark image did not build: {build.Failure?.Message}");
            var kernel = manifest.Kernel?.Path ?? throw new InvalidOperationException("no guest kernel: run scripts/build-guest-kernel");
            var initrd = (await new ImageStore(new PackOptions { DataDirectory = dir }).GetAsync(manifest.Digest))!.RootFilesystemPath;
            var raw = new List<double>();
            var fabric = new List<double>();
            var intrinsic = new List<double>();
            var driver = new QemuDriver(Options.Create(new QemuOptions()), HostFacts.Probe(dir), NullLogger<QemuDriver>.Instance);
            for (var i = 0; i < runs; i++)
            {
                raw.Add(await RawBootAsync(driver, kernel, initrd, manifest.KernelCommandLine, i));
                var (total, boot) = await FabricBootAsync(client, $"bench-{i}");
                fabric.Add(total);
                intrinsic.Add(total - boot);
            }

            var overhead = Stats.Median(fabric) - Stats.Median(raw);
            Console.WriteLine($"raw driver boot   {Stats.Median(raw),8:0} ms median: qemu driver alone, same image and devices ({string.Join(" ", raw.Select(r => r.ToString("0")))})");
            Console.WriteLine($"create -> Running {Stats.Median(fabric),8:0} ms median through the cluster ({string.Join(" ", fabric.Select(r => r.ToString("0")))})");
            Console.WriteLine($"fabric overhead   {overhead,8:0} ms: median create->Running minus median raw boot (noisy: boots vary by seconds here)");
            var own = Stats.Median(intrinsic);
            Console.WriteLine($"fabric overhead   {own,8:0} ms median: each create->Running minus that same VM's launch->ready time ({string.Join(" ", intrinsic.Select(r => r.ToString("0")))})");
            Console.WriteLine($"goal              <= 100 ms: {(own <= 100 ? "met" : "NOT met")}");
            Console.WriteLine($"ratio             {Stats.Median(fabric) / Stats.Median(raw),8:0.00} x raw boot");
            await ScaleAsync(client, dir, count);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") == "1")
            {
                Console.WriteLine(silo.Output);
            }

            await silo.StopAsync();
            await silo.DisposeAsync();
            foreach (var pid in VmPids(dir))
            {
                Formation.Silo.Platform.ProcessInfo.Kill(pid);
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// What the driver does without the fabric: the same qemu driver, the same artifacts and kernel command line, a TAP
    /// of its own, launch and wait for the readiness line — no grains, scheduler, address pool or reporting.
    /// </summary>
    private static async Task<double> RawBootAsync(QemuDriver driver, string kernel, string initrd, string cmdline, int run)
    {
        var directory = new VmDirectory(Path.Combine(Path.GetTempPath(), "formation-bench", $"raw-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(directory.Path);
        File.Copy(kernel, directory.Kernel);
        File.Copy(initrd, directory.Initrd);
        var tap = $"fbraw{run}";
        await Ip("tuntap", "add", "dev", tap, "mode", "tap");
        await Ip("link", "set", tap, "up");
        try
        {
            var network = new VmNetwork(tap, "02:fa:00:00:00:01", "10.250.0.2", "10.250.0.1", "255.255.255.0", 24);
            var launch = new VmLaunch($"raw-{run}", "raw", "qemu", 1, 256, $"{cmdline} {network.KernelArgument("raw")} panic=-1", true, false, network, [], true);
            var sw = Stopwatch.StartNew();
            var process = await driver.LaunchAsync(launch, directory, CancellationToken.None);
            var ready = await ConsoleLog.WaitForAsync(directory.ConsoleLog, 0, Formation.Images.ImageManifest.ReadyLine, TimeSpan.FromMinutes(3), process.Exited, CancellationToken.None);
            var elapsed = sw.Elapsed.TotalMilliseconds;
            await process.KillAsync(CancellationToken.None);
            await process.DisposeAsync();
            return ready ? elapsed : throw new InvalidOperationException("raw boot ended without the readiness line");
        }
        finally
        {
            await Ip("link", "del", tap);
            Directory.Delete(directory.Path, recursive: true);
        }
    }

    private static Task<string> Ip(params string[] args) => ProcessRunner.CaptureAsync("ip", args, CancellationToken.None);

    /// <summary>Create → Running seen by the client, and the node's own launch → ready time of that boot.</summary>
    private static async Task<(double Total, double Boot)> FabricBootAsync(IClusterClient client, string name)
    {
        var sw = Stopwatch.StartNew();
        var vm = await CreateAsync(client, new VmSpec(name, 1, 256, 1, "bench:1", null));
        var info = await WaitRunningAsync(vm, TimeSpan.FromMinutes(3));
        var elapsed = sw.Elapsed.TotalMilliseconds;
        if (info.State != VmState.Running)
        {
            throw new InvalidOperationException($"VM {name} is {info.State}: {info.Reason}");
        }

        await vm.DeleteAsync();
        var boot = double.Parse(System.Text.RegularExpressions.Regex.Match(info.Reason ?? "", @"after (\d+) ms").Groups[1].Value);
        return (elapsed, boot);
    }

    private static async Task ScaleAsync(IClusterClient client, string dir, int count)
    {
        var before = MemAvailableMiB();
        var sw = Stopwatch.StartNew();
        var vms = await Task.WhenAll(Enumerable.Range(0, count).Select(i => CreateAsync(client, new VmSpec($"scale-{i}", 1, 128, 1, "bench:1", null))));
        var states = await Task.WhenAll(vms.Select(vm => WaitRunningAsync(vm, TimeSpan.FromMinutes(10))));
        var allRunning = sw.Elapsed.TotalSeconds;
        var running = states.Count(s => s.State == VmState.Running);
        var rss = VmPids(dir).Sum(RssMiB);
        var after = MemAvailableMiB();
        Console.WriteLine($"{count} VMs at once  {running} Running after {allRunning:0.0} s ({allRunning / count:0.00} s per VM)");
        Console.WriteLine($"memory per VM     {rss / Math.Max(1, running),8:0} MiB qemu RSS (guest RAM 128 MiB), host MemAvailable dropped {(before - after) / Math.Max(1, running):0} MiB per VM");
        await Task.WhenAll(vms.Select(vm => vm.DeleteAsync()));
    }

    private static async Task<VmInfo> WaitRunningAsync(IVmGrain vm, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var info = await vm.GetAsync();
            if (info.State is VmState.Running or VmState.Failed || DateTime.UtcNow > deadline)
            {
                return info;
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Creates a VM through the catalog, as `form vm create` does.</summary>
    private static async Task<IVmGrain> CreateAsync(IClusterClient client, VmSpec spec)
    {
        var created = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(spec);
        return client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
    }

    private static IEnumerable<int> VmPids(string dir) =>
        Directory.Exists(Path.Combine(dir, "vms"))
            ? Directory.EnumerateFiles(Path.Combine(dir, "vms"), "vm.pid", SearchOption.AllDirectories)
                .Select(f => Formation.Silo.Platform.ProcessInfo.TryReadPid(f, out var pid) ? pid : 0).Where(p => p > 0 && Formation.Silo.Platform.ProcessInfo.IsAlive(p))
            : [];

    private static double RssMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    private static double MemAvailableMiB()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }
}

using System.Diagnostics;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Testing;
using Formation.Vms;

namespace Formation.Bench.Fabric;

/// <summary>
/// <c>form vm list</c> with N VMs in embedded mode: wall time of the real CLI process (and of the list call alone, from
/// a connected client), through the silo's local API socket (the default on the silo's host) and through the Orleans
/// gateway with mutual TLS and proofs. Anchors, same run, alternating with the measured runs: <c>form --help</c>
/// (process start, no cluster) and the Orleans-client path against a second silo started with the benchmark-only
/// switch that turns identity off (<see cref="BenchSilo.WithoutIdentity"/>), so on − off is what identity costs a client.
/// </summary>
public static class VmListBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        var vms = options.Int("vms", 1000);
        var runs = options.Int("runs", 15);
        Console.WriteLine($"== vm-list: {vms} VMs, embedded mode (SQLite), {runs} runs each, identity on and off alternating");
        var capacity = new Dictionary<string, string>
        {
            ["Formation__Capacity__VCpus"] = (vms * 2).ToString(),
            ["Formation__Capacity__MemoryMiB"] = (vms * 128L).ToString(),
            ["Formation__Capacity__DiskGiB"] = vms.ToString(),
        };
        var (silo, dir) = await BenchSilo.StartAsync("bench-list", capacity);
        var (open, openDir) = await BenchSilo.StartAsync("bench-list-off", BenchSilo.WithoutIdentity(capacity));
        var empty = Path.Combine(Path.GetTempPath(), "formation-bench", $"home-{Guid.NewGuid():N}");
        Directory.CreateDirectory(empty);
        try
        {
            var calls = await FillAsync(silo, SiloProcess.AdminCredentialFor(silo.Options.GatewayPort), vms);
            await FillAsync(open, null, vms);

            var form = FormCommand();
            var credential = SiloProcess.AdminCredentialFor(silo.Options.GatewayPort)!;
            var anchor = new List<double>();
            var table = new List<double>();
            var json = new List<double>();
            var on = new List<double>();
            var off = new List<double>();
            var onCpu = new List<double>();
            var offCpu = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                anchor.Add((await WallAsync(form, Client.LocalApi(credential), "--help")).Wall);
                table.Add((await WallAsync(form, Client.LocalApi(credential), "vm", "list", "--gateway", silo.Gateway)).Wall);
                json.Add((await WallAsync(form, Client.LocalApi(credential), "vm", "list", "--json", "--gateway", silo.Gateway)).Wall);
                // Alternate which goes first, so a change in the machine's load falls on both alike.
                foreach (var identity in i % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var (wall, cpu) = identity
                        ? await WallAsync(form, Client.Orleans(credential), "vm", "list", "--gateway", silo.Gateway)
                        : await WallAsync(form, Client.Anonymous(empty), "vm", "list", "--gateway", open.Gateway);
                    (identity ? on : off).Add(wall);
                    (identity ? onCpu : offCpu).Add(cpu);
                }
            }

            var cost = Stats.Median(on) - Stats.Median(off);
            Console.WriteLine($"form binary       {string.Join(' ', form)}");
            Console.WriteLine($"list call         {Stats.Median(calls),8:0.0} ms median (connected client, TLS and proofs, {vms} rows)");
            Console.WriteLine($"form vm list      {Stats.Median(table),8:0} ms median wall, p90 {Stats.Percentile(table, 90):0} ms (local API socket)");
            Console.WriteLine($"form vm list json {Stats.Median(json),8:0} ms median wall (local API socket)");
            Console.WriteLine($"  Orleans, on     {Stats.Median(on),8:0} ms median wall, p90 {Stats.Percentile(on, 90):0} ms (FORM_LOCAL_API=0, mutual TLS + proofs)");
            Console.WriteLine($"  Orleans, off    {Stats.Median(off),8:0} ms median wall, p90 {Stats.Percentile(off, 90):0} ms (anchor: silo with identity off, no credential)");
            Console.WriteLine($"  identity cost   {cost,8:0} ms (on - off, medians)");
            Console.WriteLine($"  CPU, on / off   {Stats.Median(onCpu),8:0} / {Stats.Median(offCpu):0} ms median user+sys of the form process: identity costs {Stats.Median(onCpu) - Stats.Median(offCpu):0} ms of CPU");
            Console.WriteLine($"load average      {File.ReadAllText("/proc/loadavg").Split(' ')[0],8} (wall times on a loaded machine vary; the CPU figures less)");
            Console.WriteLine($"anchor form -h    {Stats.Median(anchor),8:0} ms median wall");
            Console.WriteLine($"ratio             {Stats.Median(table) / Stats.Median(anchor),8:0.00} x anchor");
            Console.WriteLine($"goal              local API < 300 ms wall: {(Stats.Median(table) < 300 ? "met" : "NOT met")}");
            Console.WriteLine($"goal              Orleans client: identity adds <= 100 ms: {(cost <= 100 ? "met" : "NOT met")}");
        }
        finally
        {
            await BenchSilo.StopAsync(silo, dir);
            await BenchSilo.StopAsync(open, openDir);
            Directory.Delete(empty, recursive: true);
        }
    }

    /// <summary>Creates <paramref name="vms"/> VMs (sim driver) and returns the times of 30 list calls from a connected client.</summary>
    private static async Task<List<double>> FillAsync(SiloProcess silo, string? credential, int vms)
    {
        await using var connection = await ClusterConnection.ConnectAsync(
            new ConnectionSettings(silo.Gateway, null, "formation", "formation", TimeSpan.FromSeconds(10), credential), CancellationToken.None);
        var catalog = connection.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var create = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < vms)
            {
                await catalog.CreateVmAsync(new VmSpec($"bench-{i:D5}", 1, 64, 0, null, null));
            }
        }));
        Console.WriteLine($"created           {vms} VMs in {create.Elapsed.TotalSeconds:0.0} s ({vms / create.Elapsed.TotalSeconds:0} creates/s), identity {(credential is null ? "off" : "on")}");

        var calls = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var sw = Stopwatch.StartNew();
            var list = await catalog.ListAsync();
            calls.Add(sw.Elapsed.TotalMilliseconds);
            if (list.Count != vms)
            {
                throw new InvalidOperationException($"listed {list.Count} VMs, expected {vms}");
            }
        }

        return calls;
    }

    /// <summary>The form executable to time: $FORM_BIN if set (e.g. a ReadyToRun publish), else dotnet form.dll.</summary>
    private static string[] FormCommand() =>
        Environment.GetEnvironmentVariable("FORM_BIN") is { Length: > 0 } bin
            ? [bin]
            : ["dotnet", Formation.Testing.FormProcess.Dll];

    /// <summary>How a timed form process reaches the silo: its environment.</summary>
    private static class Client
    {
        public static Dictionary<string, string> LocalApi(string credential) => new() { ["FORM_LOCAL_API"] = "1", ["FORMATION_CREDENTIAL"] = credential };

        public static Dictionary<string, string> Orleans(string credential) => new() { ["FORM_LOCAL_API"] = "0", ["FORMATION_CREDENTIAL"] = credential };

        /// <summary>No credential at all: a home and config directory with none in them.</summary>
        public static Dictionary<string, string> Anonymous(string emptyHome) => new()
        {
            ["FORM_LOCAL_API"] = "0", ["HOME"] = emptyHome, ["XDG_CONFIG_HOME"] = emptyHome, ["XDG_DATA_HOME"] = emptyHome,
        };
    }

    /// <summary>Runs form once: its wall time and its CPU time (user + system, from the children's resource usage), in ms.</summary>
    private static async Task<(double Wall, double Cpu)> WallAsync(string[] command, Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment.Remove("FORMATION_CREDENTIAL");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        foreach (var a in command.Skip(1).Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        var cpuBefore = ChildrenCpu();
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = sw.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"form {string.Join(' ', args)} failed: {await stderr}");
        }

        await stdout;
        return (elapsed, ChildrenCpu() - cpuBefore);
    }

    /// <summary>CPU ms of this process's ended children (the silos run on, so the difference around one run is form's).</summary>
    private static double ChildrenCpu()
    {
        _ = getrusage(-1, out var usage); // RUSAGE_CHILDREN
        return (usage.UserSeconds + usage.SystemSeconds) * 1000.0 + (usage.UserMicroseconds + usage.SystemMicroseconds) / 1000.0;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);

    /// <summary>The head of struct rusage on 64-bit Linux: ru_utime and ru_stime (timevals), then 14 longs.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.ByValArray, SizeConst = 14)]
        public long[] Rest;
    }
}

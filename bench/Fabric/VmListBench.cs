using System.Diagnostics;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Testing;
using Formation.Vms;

namespace Formation.Bench.Fabric;

/// <summary>
/// <c>form vm list</c> with N VMs in embedded mode: wall time of the real CLI process (and of the list call alone, from
/// a connected client), through the silo's local API socket (the default on the silo's host) and through the Orleans
/// gateway. Anchor: wall time of <c>form --help</c> (process start, no cluster), same run.
/// </summary>
public static class VmListBench
{
    public static async Task RunAsync(BenchOptions options)
    {
        var vms = options.Int("vms", 1000);
        var runs = options.Int("runs", 15);
        Console.WriteLine($"== vm-list: {vms} VMs, embedded mode (SQLite), {runs} runs each");
        var (silo, dir) = await BenchSilo.StartAsync("bench-list", new Dictionary<string, string>
        {
            ["Formation__Capacity__VCpus"] = (vms * 2).ToString(),
            ["Formation__Capacity__MemoryMiB"] = (vms * 128L).ToString(),
            ["Formation__Capacity__DiskGiB"] = vms.ToString(),
        });
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(
                new ConnectionSettings(silo.Gateway, null, "formation", "formation", TimeSpan.FromSeconds(10), SiloProcess.AdminCredentialFor(silo.Options.GatewayPort)), CancellationToken.None);
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
            Console.WriteLine($"created           {vms} VMs in {create.Elapsed.TotalSeconds:0.0} s ({vms / create.Elapsed.TotalSeconds:0} creates/s)");

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

            var form = FormCommand();
            var anchor = new List<double>();
            var table = new List<double>();
            var json = new List<double>();
            var viaGateway = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                anchor.Add(await WallAsync(form, false, "--help"));
                table.Add(await WallAsync(form, false, "vm", "list", "--gateway", silo.Gateway));
                json.Add(await WallAsync(form, false, "vm", "list", "--json", "--gateway", silo.Gateway));
                viaGateway.Add(await WallAsync(form, true, "vm", "list", "--gateway", silo.Gateway));
            }

            Console.WriteLine($"form binary       {string.Join(' ', form)}");
            Console.WriteLine($"list call         {Stats.Median(calls),8:0.0} ms median (connected client, {vms} rows)");
            Console.WriteLine($"form vm list      {Stats.Median(table),8:0} ms median wall, p90 {Stats.Percentile(table, 90):0} ms");
            Console.WriteLine($"form vm list json {Stats.Median(json),8:0} ms median wall");
            Console.WriteLine($"  via gateway     {Stats.Median(viaGateway),8:0} ms median wall (FORM_LOCAL_API=0: Orleans client instead of the local API socket)");
            Console.WriteLine($"anchor form -h    {Stats.Median(anchor),8:0} ms median wall");
            Console.WriteLine($"ratio             {Stats.Median(table) / Stats.Median(anchor),8:0.00} x anchor");
            Console.WriteLine($"goal              < 300 ms wall: {(Stats.Median(table) < 300 ? "met" : "NOT met")}");
        }
        finally
        {
            await BenchSilo.StopAsync(silo, dir);
        }
    }

    /// <summary>The form executable to time: $FORM_BIN if set (e.g. a ReadyToRun publish), else dotnet form.dll.</summary>
    private static string[] FormCommand() =>
        Environment.GetEnvironmentVariable("FORM_BIN") is { Length: > 0 } bin
            ? [bin]
            : ["dotnet", Formation.Testing.FormProcess.Dll];

    private static async Task<double> WallAsync(string[] command, bool orleansClient, params string[] args)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["FORM_LOCAL_API"] = orleansClient ? "0" : "1";
        foreach (var a in command.Skip(1).Concat(args))
        {
            info.ArgumentList.Add(a);
        }

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
        return elapsed;
    }
}

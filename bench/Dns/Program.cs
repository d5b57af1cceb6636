using System.Diagnostics;
using System.Net;
using Formation;
using Formation.Bench.Dns;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Silo.Dns;
using Formation.Testing;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;

// form-dns's query rate against dnsmasq serving the same records from a hosts file, both on loopback, both asked by
// Debian's dnsperf with the same query list, alternating so both see the same machine load. The silo is a real
// formation-silo process (embedded mode, sim driver giving VMs pool addresses) whose DNS follows the fabric.
//   formation-bench-dns [--vms 100] [--seconds 10] [--rounds 2] [--clients 4]
var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
var vmCount = int.Parse(options.GetValueOrDefault("vms", "100"));
var seconds = int.Parse(options.GetValueOrDefault("seconds", "10"));
var rounds = int.Parse(options.GetValueOrDefault("rounds", "2"));
var clients = int.Parse(options.GetValueOrDefault("clients", "4"));
const double Goal = 0.5;

var dir = Path.Combine(Path.GetTempPath(), "formation-bench", $"dns-{Guid.NewGuid():N}");
Directory.CreateDirectory(dir);
var siloDns = FreePorts.Next();
var dnsmasqPort = FreePorts.Next();
Console.WriteLine($"== form-dns vs dnsmasq: {vmCount} VM names, dnsperf {clients} clients x {seconds} s, {rounds} rounds each, {Environment.ProcessorCount} cores");

await using var silo = await SiloProcess.StartAsync(new SiloProcessOptions("dns-bench", Path.Combine(dir, "silo"))
{
    Environment = new Dictionary<string, string>
    {
        ["Formation__Sim__Addresses"] = "true",
        ["Formation__Dns__Listen__0"] = "127.0.0.1",
        ["Formation__Dns__Port"] = siloDns.ToString(),
        ["Formation__Dns__ListenOnBridge"] = "false",
        ["Formation__Dns__RateLimit"] = "0", // one source asks everything: the per-source limit would measure itself
        ["Formation__Capacity__VCpus"] = "4000",
        ["Formation__Capacity__MemoryMiB"] = "1000000",
    },
});
Process? dnsmasq = null;
try
{
    await using var connection = await ClusterConnection.ConnectAsync(
        new ConnectionSettings(silo.Gateway, null, "formation", "formation", TimeSpan.FromSeconds(30), SiloProcess.AdminCredentialFor(silo.Options.GatewayPort)), CancellationToken.None);
    var catalog = connection.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
    var created = new List<VmInfo>();
    for (var i = 0; i < vmCount; i++)
    {
        created.Add(await catalog.CreateVmAsync(new VmSpec($"bench-{i}", 1, 64, 1, null, null)));
    }

    // Each VM's own grain (the catalog's rows can lag a fast sim boot).
    var vms = new List<VmInfo>();
    var until = DateTime.UtcNow.AddSeconds(120);
    foreach (var vm in created)
    {
        VmInfo info;
        while ((info = await connection.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetAsync()) is not { State: VmState.Running, Address: not null })
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"VM {vm.Name} did not run with an address within 120 s (it is {info.State})");
            }

            await Task.Delay(100);
        }

        vms.Add(info);
    }

    var hosts = Path.Combine(dir, "hosts");
    var queries = Path.Combine(dir, "queries");
    await File.WriteAllLinesAsync(hosts, vms.Select(v => $"{v.Address} {v.Name}.fog"));
    await File.WriteAllLinesAsync(queries, vms.Select(v => $"{v.Name}.fog A"));

    // The silo's feeder publishes within a second; wait until it answers the last VM before measuring.
    var last = vms[^1];
    until = DateTime.UtcNow.AddSeconds(30);
    while (!(await Dig(siloDns, last.Name + ".fog")).Contains(last.Address!, StringComparison.Ordinal))
    {
        if (DateTime.UtcNow > until)
        {
            throw new TimeoutException($"form-dns did not answer {last.Name}.fog within 30 s");
        }

        await Task.Delay(250);
    }

    dnsmasq = Process.Start(new ProcessStartInfo("dnsmasq",
        ["--no-daemon", "--port", dnsmasqPort.ToString(), "--listen-address", "127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--addn-hosts", hosts, "--local=/fog/", "--cache-size=1000", "--log-facility=-", "--pid-file=", "--user=root"])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    }) ?? throw new InvalidOperationException("dnsmasq did not start (is Debian's dnsmasq-base installed?)");
    until = DateTime.UtcNow.AddSeconds(10);
    while (!(await Dig(dnsmasqPort, last.Name + ".fog")).Contains(last.Address!, StringComparison.Ordinal))
    {
        if (DateTime.UtcNow > until || dnsmasq.HasExited)
        {
            throw new TimeoutException($"dnsmasq did not answer {last.Name}.fog: {await dnsmasq.StandardError.ReadToEndAsync()}");
        }

        await Task.Delay(100);
    }

    double best(List<Dnsperf.Result> r) => r.Max(x => x.QueriesPerSecond);
    var anchor = new List<Dnsperf.Result>();
    var ours = new List<Dnsperf.Result>();
    for (var round = 1; round <= rounds; round++)
    {
        var a = await Dnsperf.RunAsync(dnsmasqPort, queries, seconds, clients);
        var f = await Dnsperf.RunAsync(siloDns, queries, seconds, clients);
        anchor.Add(a);
        ours.Add(f);
        Console.WriteLine($"round {round}: dnsmasq {a.QueriesPerSecond,10:N0} q/s (lost {a.Lost})   form-dns {f.QueriesPerSecond,10:N0} q/s (lost {f.Lost})");
    }

    // For the record, what the answer cache is worth: the same server code in this process, its cache off, fed the
    // same names directly (not the goal's figure: the silo's is).
    var uncachedOptions = new DnsOptions { Port = FreePorts.Next(), Listen = ["127.0.0.1"], RateLimit = 0, AnswerCacheEntries = 0 };
    var table = new DnsTable();
    table.Replace("bench", vms.ToDictionary(v => v.Name, v => DnsTable.Addresses([IPAddress.Parse(v.Address!)])));
    using (var forwarder = new DnsForwarder([], uncachedOptions.ForwardTimeout, 1))
    using (var uncached = new ZoneServer(uncachedOptions, [IPAddress.Loopback], table, new GuestSources(),
        new ZoneAnswerer("fog", uncachedOptions.Ttl, "bench.node"), forwarder, new SourceRateLimiter(0, 1, 1, TimeProvider.System), NullLogger.Instance))
    {
        uncached.Start();
        var u = await Dnsperf.RunAsync(uncachedOptions.Port, queries, seconds, clients);
        Console.WriteLine($"(form-dns without its answer cache, in-process: {u.QueriesPerSecond:N0} q/s, {u.QueriesPerSecond / best(anchor):0.00}x dnsmasq; lost {u.Lost})");
    }

    var ratio = best(ours) / best(anchor);
    Console.WriteLine($"form-dns {best(ours):N0} q/s vs dnsmasq {best(anchor):N0} q/s (best of {rounds}): {ratio:0.00}x (goal >= {Goal}x) " +
        (ratio >= Goal ? "MET" : "NOT MET"));
    return ratio >= Goal ? 0 : 1;
}
finally
{
    if (dnsmasq is { HasExited: false })
    {
        dnsmasq.Kill();
        await dnsmasq.WaitForExitAsync();
    }

    await silo.StopAsync();
    try
    {
        Directory.Delete(dir, recursive: true);
    }
    catch (IOException)
    {
    }
}

static async Task<string> Dig(int port, string name)
{
    var run = await Formation.Silo.Platform.ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", port.ToString(), name, "A", "+short", "+tries=1", "+time=1"],
        null, 20, TimeSpan.FromSeconds(10), CancellationToken.None);
    return string.Join('\n', run.OutputTail);
}

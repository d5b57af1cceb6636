using System.Globalization;
using Formation.Metrics;
using Formation.Silo.Metrics;
using Formation.Silo.Tests.Deploy;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Metrics;

/// <summary>
/// The metrics of real guests (qemu; TCG here): a guest running a CPU loop keeps its vCPU busy and an idle one does not,
/// read through the history grain and the Prometheus endpoint (parsed strictly); fetching pages from a guest makes its
/// TAP byte counters grow; and on this host the VM's CPU time comes from its own cgroup, not its process.
/// </summary>
/// <remarks>
/// "Near its limit" is judged against a same-run anchor: a CPU loop on the host in a cgroup beside the VM's (so the
/// kernel weighs the two alike), measured over the same window. A busy TCG guest's one vCPU thread is a CPU loop too, so
/// on an idle host both get about a whole core (the guest ≥ 60 %), and on a host shared with other work both get less
/// alike; the guest must reach 60 % of what the anchor got. The idle guest must stay under 15 % of its vCPU (TCG's timer
/// ticks and the VMM's own threads cost a little).
/// </remarks>
[Trait("Category", "Slow")]
public sealed class GuestMetricsTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private const string BusyImage = "busy:1";
    private const string BusyFormfile = """
        NAME busy
        FROM tiny
        ENTRYPOINT ["/bin/busybox", "sh", "-c", "while :; do :; done"]
        """;

    private const double BusyShareOfAnchor = 0.6;
    private const double IdleCeiling = 0.15;
    private const int Fetches = 40;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(16);
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task RealGuests_BusyNearItsVcpuIdleNearZero_AndTapBytesGrowWithFetches()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("metrics");
        await DeployFixture.BuildImageAsync(data, BusyFormfile, BusyImage);
        var options = fixture.Silo("met-guests", data, ("Formation__Metrics__Interval", "00:00:02"));
        await using var silo = await SiloProcess.StartAsync(options);
        await using var connection = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true);
        var client = connection.Client;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        async Task<IReadOnlyDictionary<string, PrometheusFamily>> ScrapeAsync() => PrometheusText.Parse(await http.GetStringAsync(options.MetricsUrl));

        var busy = await DeployFixture.CreateAsync(client, new VmSpec("busy-1", 1, 128, 1, BusyImage, null));
        var idle = await DeployFixture.CreateAsync(client, new VmSpec("idle-1", 1, 256, 1, DeployFixture.WebImage, null));
        await RunningAsync(client, busy);
        var address = (await RunningAsync(client, idle)).Address!;
        Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort));
        await Task.Delay(TimeSpan.FromSeconds(8)); // the end of the guests' boots stays out of the window

        Assert.True(Formation.Silo.Platform.ProcessInfo.TryReadPid(Path.Combine(data, "vms", busy.Id, "vm.pid"), out var pid), "the VM has no vm.pid");
        var membership = CgroupReader.ParseMembership(await File.ReadAllTextAsync($"/proc/{pid}/cgroup", TestContext.Current.CancellationToken));

        // The window: the anchor loop runs, the endpoint is scraped at both ends.
        var metrics = client.GetGrain<INodeMetricsGrain>(options.NodeId);
        var before = await ScrapeAsync();
        var (anchor, from, to) = await AnchorAsync(membership, busy.Id, Window);
        var after = await ScrapeAsync();
        await Eventually.HoldsAsync(() => metrics.GetVmAsync(busy.Id, 1), h => h.Latest is { } p && p.At >= to + Interval, TimeSpan.FromSeconds(30),
            "a sample after the window");

        var busyShare = Mean(await metrics.GetVmAsync(busy.Id, 0), from, to);
        var idleShare = Mean(await metrics.GetVmAsync(idle.Id, 0), from, to);
        var figures = $"busy {busyShare:P0}, idle {idleShare:P0} of one vCPU; the anchor loop got {anchor:P0} of a core (load {Load()})";
        Assert.True(busyShare >= BusyShareOfAnchor * anchor && busyShare <= 1.5, figures);
        Assert.True(idleShare < IdleCeiling, figures);
        Assert.True(busyShare > 3 * idleShare, figures);

        // The same through Prometheus: CPU seconds across the window (its ends are up to one interval off, hence the margin).
        var wall = (to - from).TotalSeconds;
        var busyCpu = (Seconds(after, busy.Id) - Seconds(before, busy.Id)) / wall;
        var idleCpu = (Seconds(after, idle.Id) - Seconds(before, idle.Id)) / wall;
        var scraped = $"Prometheus: busy {busyCpu:P0}, idle {idleCpu:P0}; {figures}";
        TestContext.Current.TestOutputHelper?.WriteLine(scraped);
        Assert.True(busyCpu >= 0.5 * anchor && idleCpu < IdleCeiling + 0.05 && busyCpu > 3 * idleCpu, scraped);
        Assert.InRange(Gauge(after, "process_cpu_utilization", busy.Id), 0, 1.5);

        // TAP bytes: every fetched page went out of the guest, every request into it.
        var tapBefore = await ScrapeAsync();
        var body = 0L;
        for (var i = 0; i < Fetches; i++)
        {
            body += (await Http.GetAsync(address, DeployFixture.WebPort)).Length;
        }

        var tapAfter = await Eventually.HoldsAsync(ScrapeAsync, f => Bytes(f, idle.Id, "transmit") - Bytes(tapBefore, idle.Id, "transmit") >= body,
            TimeSpan.FromSeconds(30), $"the TAP's transmit bytes to grow by the {body} bytes of {Fetches} pages");
        var sent = Bytes(tapAfter, idle.Id, "transmit") - Bytes(tapBefore, idle.Id, "transmit");
        var received = Bytes(tapAfter, idle.Id, "receive") - Bytes(tapBefore, idle.Id, "receive");
        Assert.True(received >= Fetches * "GET / HTTP/1.1\r\n".Length, $"the guest received {received} bytes for {Fetches} requests");
        Assert.True(sent >= body, $"the guest sent {sent} bytes for {body} bytes of pages");
        TestContext.Current.TestOutputHelper?.WriteLine($"TAP: the guest sent {sent} and received {received} bytes for {Fetches} pages of {body} bytes in all");
        var web = await metrics.GetVmAsync(idle.Id, 0);
        Assert.Contains(web.Points, p => p.NetworkTransmitBytesPerSecond > 0);

        // The VMs' CPU time comes from their own cgroups (on a v1 host: cpuacct, which the VM's jail joins), not the process.
        Assert.True(new CgroupReader().ReadCpu(membership, busy.Id, out var missing) is { UsageSeconds: > 0 }, $"no CPU time from the VM's cgroup: {missing}");
        Assert.DoesNotContain("VM CPU time comes from /proc/PID/stat", silo.Output);

        foreach (var vm in new[] { busy, idle })
        {
            await client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
        }
    }

    /// <summary>
    /// Runs a CPU loop for <paramref name="window"/> in a cgroup beside the VM's (the VM's membership says where); the
    /// share of a core it got, and when it ran.
    /// </summary>
    private static async Task<(double Share, DateTimeOffset From, DateTimeOffset To)> AnchorAsync(
        IReadOnlyList<CgroupMembership> vm, string vmId, TimeSpan window)
    {
        var path = vm.FirstOrDefault(m => m.Controllers.Contains("cpu"))?.Path ?? vm.First(m => m.Hierarchy == 0).Path;
        Assert.EndsWith("/" + vmId, path);
        var parent = path.Trim('/')[..^(vmId.Length + 1)];
        using var cgroup = Formation.Silo.Platform.HostCgroup.Create(parent, "anchor-" + Guid.NewGuid().ToString("N")[..8],
            new Formation.Silo.Platform.CgroupLimits(16, 64L << 20, 1));
        using var loop = System.Diagnostics.Process.Start("/bin/sh", cgroup.EnterArguments("/bin/sh", ["-c", "while :; do :; done"]));
        try
        {
            await Task.Delay(200); // the shell that enters the cgroup has exec'd the loop
            var from = DateTimeOffset.UtcNow;
            var cpuFrom = CpuSeconds(loop.Id);
            await Task.Delay(window);
            var to = DateTimeOffset.UtcNow;
            var cpuTo = CpuSeconds(loop.Id);
            return ((cpuTo - cpuFrom) / (to - from).TotalSeconds, from, to);
        }
        finally
        {
            loop.Kill();
        }
    }

    private static double CpuSeconds(int pid) =>
        ProcParsers.ParseProcessStat(File.ReadAllText($"/proc/{pid}/stat"), Environment.SystemPageSize).CpuSeconds;

    /// <summary>The mean utilization of the samples whose interval lies inside [from, to].</summary>
    private static double Mean(VmMetrics history, DateTimeOffset from, DateTimeOffset to)
    {
        var inside = history.Points.Where(p => p.At - Interval >= from && p.At <= to).ToList();
        Assert.True(inside.Count >= 3, $"only {inside.Count} samples of {history.Name} inside the window {from:HH:mm:ss}–{to:HH:mm:ss}");
        return inside.Average(p => p.CpuUtilization);
    }

    private static async Task<VmInfo> RunningAsync(IClusterClient client, VmInfo created)
    {
        var vm = client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        var info = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, $"{created.Spec.Name} running");
        Assert.True(info.State == VmState.Running, $"{created.Spec.Name} is {info.State}: {info.Reason}");
        return info;
    }

    private static IEnumerable<PrometheusSample> Of(IReadOnlyDictionary<string, PrometheusFamily> families, string name, string vmId) =>
        families.TryGetValue(name, out var family) ? family.Samples.Where(s => s.Labels.TryGetValue("formation_vm_id", out var id) && id == vmId) : [];

    private static double Seconds(IReadOnlyDictionary<string, PrometheusFamily> families, string vmId) =>
        Of(families, "process_cpu_time_seconds_total", vmId).Sum(s => s.Value);

    private static double Gauge(IReadOnlyDictionary<string, PrometheusFamily> families, string name, string vmId) =>
        Assert.Single(Of(families, name, vmId)).Value;

    private static double Bytes(IReadOnlyDictionary<string, PrometheusFamily> families, string vmId, string direction) =>
        Of(families, "formation_vm_network_io_bytes_total", vmId).Where(s => s.Labels["network_io_direction"] == direction).Sum(s => s.Value);

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}

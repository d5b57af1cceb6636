using Formation.Nodes;
using Formation.Vms;

namespace Formation.Silo.Tests.Metrics;

/// <summary>
/// A real silo's Prometheus endpoint, scraped and read with the strict parser: the node's series exist with sane values,
/// a VM's series appear with it and are gone after it is deleted, and the endpoint's URL is in the node's record.
/// </summary>
public sealed class PrometheusEndpointTests(MetricsSiloFixture silo) : IClassFixture<MetricsSiloFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Scrape_RealSilo_NodeSeriesExistWithSaneValues()
    {
        var first = await Eventually.HoldsAsync(silo.ScrapeAsync, f => f.ContainsKey("system_cpu_utilization"), Wait, "a second sample");
        await Task.Delay(1500);
        var second = await silo.ScrapeAsync();

        var node = new Dictionary<string, string> { ["formation_node"] = silo.NodeId };
        Assert.Equal("counter", second["system_cpu_time_seconds_total"].Type);
        Assert.Equal(["user", "nice", "system", "idle", "iowait", "interrupt", "steal"],
            second["system_cpu_time_seconds_total"].Samples.Select(s => s.Labels["cpu_mode"]));
        foreach (var mode in second["system_cpu_time_seconds_total"].Samples)
        {
            Assert.Equal(silo.NodeId, mode.Labels["formation_node"]);
            var before = first["system_cpu_time_seconds_total"].Samples.Single(s => s.Labels["cpu_mode"] == mode.Labels["cpu_mode"]);
            Assert.True(mode.Value >= before.Value && mode.Value >= 0, $"cpu {mode.Labels["cpu_mode"]} went from {before.Value} to {mode.Value}");
        }

        Assert.Equal(1, second["system_cpu_utilization"].Samples.Sum(s => s.Value), 2);
        Assert.All(second["system_cpu_utilization"].Samples, s => Assert.InRange(s.Value, 0, 1));
        Assert.True(Value(second, "system_cpu_logical_count") >= 1);
        Assert.True(Value(second, "system_cpu_load_average_1m") >= 0);

        var limit = Value(second, "system_memory_limit_bytes");
        Assert.InRange(limit, 64 << 20, 1L << 50);
        Assert.InRange(Series(second, "system_memory_usage_bytes", "system_memory_state", "used"), 1, limit);
        Assert.InRange(Value(second, "system_linux_memory_available_bytes"), 1, limit);

        var fsLimit = Value(second, "system_filesystem_limit_bytes");
        Assert.True(fsLimit > 0);
        Assert.Equal(fsLimit, second["system_filesystem_usage_bytes"].Samples.Sum(s => s.Value), fsLimit * 1e-6);

        Assert.Contains(second["system_network_io_bytes_total"].Samples, s => s.Labels["network_interface_name"] == "lo" && s.Labels["network_io_direction"] == "receive");
        Assert.True(Series(second, "system_network_io_bytes_total", "network_interface_name", "lo") > 0, "loopback carried this very scrape");
        Assert.Contains("system_network_packets_total", second.Keys);

        Assert.True(Value(second, "formation_node_vcpu_allocatable") > 0);
        Assert.True(Value(second, "formation_node_memory_allocatable_bytes") > 0);
        Assert.Equal(10, second["formation_node_vms"].Samples.Count); // every state but Deleted, zeros included
    }

    [Fact]
    public async Task Scrape_VmCreatedThenDeleted_ItsSeriesAppearThenAreDropped()
    {
        var catalog = silo.Client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var vm = await catalog.CreateVmAsync(new VmSpec("prom-vm", 2, 384, 3, null, silo.NodeId, RequestId: Guid.NewGuid().ToString("N")));
        var grain = silo.Client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));

        var with = await Eventually.HoldsAsync(silo.ScrapeAsync,
            f => f.TryGetValue("formation_vm_vcpus", out var v) && v.Samples.Any(s => s.Labels["formation_vm_id"] == vm.Id), Wait, "the VM's series");
        var vcpus = with["formation_vm_vcpus"].Samples.Single(s => s.Labels["formation_vm_id"] == vm.Id);
        Assert.Equal(2, vcpus.Value);
        Assert.Equal("prom-vm", vcpus.Labels["formation_vm_name"]);
        Assert.Equal(384L << 20, with["formation_vm_memory_limit_bytes"].Samples.Single(s => s.Labels["formation_vm_id"] == vm.Id).Value);
        Assert.True(Value(with, "formation_node_vcpu_reserved") >= 2);

        await grain.DeleteAsync();

        await Eventually.HoldsAsync(silo.ScrapeAsync,
            f => !f.Values.SelectMany(v => v.Samples).Any(s => s.Labels.TryGetValue("formation_vm_id", out var id) && id == vm.Id),
            Wait, "the deleted VM's series to be gone");
    }

    [Fact]
    public async Task Scrape_AfterAPlacement_FindsTheFabricAndOrleansMetrics_AndTheVmsBoot()
    {
        var catalog = silo.Client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var vm = await catalog.CreateVmAsync(new VmSpec("fabric-vm", 1, 128, 1, null, silo.NodeId, RequestId: Guid.NewGuid().ToString("N")));
        var grain = silo.Client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
        try
        {
            var after = await Eventually.HoldsAsync(silo.ScrapeAsync,
                f => f.TryGetValue("formation_vm_boots_total", out var boots) && boots.Samples.Any(s => s.Labels["formation_vm_id"] == vm.Id) &&
                     f.TryGetValue("formation_vm_ready_time_seconds", out var ready) && ready.Samples.Any(s => s.Labels["formation_vm_id"] == vm.Id),
                Wait, "the VM's boot series");

            var placements = after["formation_scheduler_placement_duration_seconds"];
            Assert.Equal("histogram", placements.Type);
            var placed = placements.Samples.Single(s => s.Name == "formation_scheduler_placement_duration_seconds_count" &&
                                                      s.Labels["formation_placement_kind"] == "vm" && s.Labels["formation_placement_outcome"] == "placed");
            Assert.True(placed.Value >= 1, $"{placed.Value} placements counted");
            Assert.Contains(placements.Samples, s => s.Name.EndsWith("_bucket", StringComparison.Ordinal) && s.Labels["le"] == "+Inf");
            Assert.Equal(1, after["formation_vm_boots_total"].Samples.Single(s => s.Labels["formation_vm_id"] == vm.Id).Value);
            Assert.Equal(0, after["formation_vm_restarts_total"].Samples.Single(s => s.Labels["formation_vm_id"] == vm.Id).Value);
            Assert.InRange(after["formation_vm_ready_time_seconds"].Samples.Single(s => s.Labels["formation_vm_id"] == vm.Id).Value, 0, 30);

            // Orleans' own meter, exported as Orleans names it: grain calls (app requests) and activations.
            Assert.Contains(after.Keys, name => name.StartsWith("orleans_app_requests_latency", StringComparison.Ordinal));
            Assert.Contains(after.Keys, name => name.StartsWith("orleans_catalog_activations", StringComparison.Ordinal));
        }
        finally
        {
            await grain.DeleteAsync();
        }
    }

    [Fact]
    public async Task Otlp_ARealReceiver_GetsTheNodesFabricAndOrleansMetrics_AndTheTargetIsPrintedAtStart()
    {
        var catalog = silo.Client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var vm = await catalog.CreateVmAsync(new VmSpec("otlp-vm", 1, 128, 1, null, silo.NodeId, RequestId: Guid.NewGuid().ToString("N")));
        try
        {
            await Eventually.HoldsAsync(() => Task.FromResult(silo.Otlp.Metrics),
                m => m.Any(x => x.Name == "formation.scheduler.placement.duration") && m.Any(x => x.Name == "system.cpu.time"),
                Wait, "the fabric's and the node's metrics at the receiver");

            var metrics = silo.Otlp.Metrics;
            Assert.Contains(new OtlpMetric("Formation.Fabric", "formation.scheduler.placement.duration"), metrics);
            Assert.Contains(new OtlpMetric("Formation.Node", "system.cpu.time"), metrics);
            Assert.Contains(metrics, m => m.Scope == "Microsoft.Orleans");
            Assert.Equal("formation-silo", silo.Otlp.Resource["service.name"]);
            Assert.Equal(silo.NodeId, silo.Otlp.Resource["service.instance.id"]);
            Assert.Contains($"OTLP to {silo.Otlp.BaseUrl}/v1/metrics (OTLP HTTP/protobuf)", silo.Silo.Output);
        }
        finally
        {
            await silo.Client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
        }
    }

    [Fact]
    public async Task Silo_WithABadOtlpEndpoint_RefusesToStartSayingWhatToGive()
    {
        using var data = new TestDirectory();
        var bad = new SiloProcessOptions("otlp-bad", data.Path) { Environment = { ["Formation__Metrics__OtlpEndpoint"] = "collector:4318" } };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(bad));

        Assert.Contains("--otlp-endpoint 'collector:4318' is not an http:// or https:// URL", refused.Message);
    }

    [Fact]
    public async Task NodeRecord_CarriesTheEndpointUrl()
    {
        var info = await silo.Client.Client.GetGrain<INodeGrain>(silo.NodeId).GetAsync();

        Assert.Equal(silo.Silo.Options.MetricsUrl, info!.MetricsUrl);
        Assert.Contains($"metrics {silo.Silo.Options.MetricsUrl}", silo.Silo.Output);
    }

    [Fact]
    public async Task SecondSilo_OnTheSameMetricsPort_RefusesToStartNamingIt()
    {
        using var data = new TestDirectory();
        var clash = new SiloProcessOptions("metrics-clash", data.Path) { MetricsPort = silo.Silo.Options.MetricsPort };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(clash));

        Assert.Contains($"port {clash.MetricsPort} (--metrics-port) is already in use", refused.Message);
    }

    private static double Value(IReadOnlyDictionary<string, PrometheusFamily> families, string name) =>
        Assert.Single(families[name].Samples).Value;

    private static double Series(IReadOnlyDictionary<string, PrometheusFamily> families, string name, string label, string value) =>
        families[name].Samples.Where(s => s.Labels[label] == value).Sum(s => s.Value);
}

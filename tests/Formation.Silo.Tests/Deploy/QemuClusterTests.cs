using Formation.Silo.Network;
using Formation.Silo.Tests.Infrastructure;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>Two silo processes on one machine, clustered on PostgreSQL, each running its own VMs on its own bridge.</summary>
[Trait("Category", "Slow")]
[Collection(PostgresCollection.Name)]
public sealed class QemuClusterTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly DeployFixture _fixture = new();

    [Fact]
    public async Task NodeConstraint_PutsTheVmUnderThatNodesSiloAndDriver()
    {
        DeployFixture.RequireEnvironment();
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("deploy_two_nodes");
        var a = _fixture.Silo("node-a", await _fixture.NewNodeDirectoryAsync("a")) with { Mode = "cluster", Postgres = database };
        var b = _fixture.Silo("node-b", await _fixture.NewNodeDirectoryAsync("b")) with { Mode = "cluster", Postgres = database };
        await using var siloA = await SiloProcess.StartAsync(a);
        await using var siloB = await ClusterJoin.StartAsync(b, siloA);
        await using var client = await ClusterClient.ViaPostgresAsync(database, ClusterJoin.AdminCredential(siloA), asNode: true);
        await Eventually.HoldsAsync(client.Client.GetGrain<Formation.Scheduling.ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync,
            l => l.Count(n => n.Health == Formation.Nodes.NodeHealth.Healthy) == 2, TimeSpan.FromSeconds(60), "two nodes");

        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("on-b", 1, 256, 1, DeployFixture.WebImage, "node-b"));
        Assert.Equal("node-b", created.NodeId);
        var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("node-b", created.Id));
        var running = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, TimeSpan.FromSeconds(120), "running");
        Assert.True(running.State == VmState.Running, running.Reason);
        Assert.Equal("qemu", running.HypervisorDriver);

        // Its files and process belong to node-b's data directory, its address to node-b's subnet.
        var pidFile = Path.Combine(b.DataDirectory, "vms", created.Id, "vm.pid");
        Assert.True(Formation.Silo.Platform.ProcessInfo.TryReadPid(pidFile, out var pid) && Formation.Silo.Platform.ProcessInfo.IsAlive(pid));
        Assert.False(Directory.Exists(Path.Combine(a.DataDirectory, "vms", created.Id)));
        var subnets = await client.Client.GetGrain<Formation.Networking.INetworkGrain>(GrainKeys.Cluster).ListSubnetsAsync();
        Assert.NotEqual(subnets["node-a"], subnets["node-b"]);
        Assert.True(Formation.Networking.Ipv4Subnet.Parse(subnets["node-b"]).Contains(System.Net.IPAddress.Parse(running.Address!)));
        Assert.Contains("hello", await Http.GetAsync(running.Address!, DeployFixture.WebPort));

        await vm.DeleteAsync();
        Assert.False(await HostNetwork.LinkExistsAsync(HostNetwork.TapName(created.Id), CancellationToken.None));
    }

    public ValueTask InitializeAsync() => _fixture.InitializeAsync();

    public ValueTask DisposeAsync() => _fixture.DisposeAsync();
}

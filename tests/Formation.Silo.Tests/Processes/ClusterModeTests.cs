using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Tests.Infrastructure;
using Formation.Vms;

namespace Formation.Silo.Tests.Processes;

/// <summary>
/// Cluster mode for real: formation-silo processes clustered through a real PostgreSQL server, a client that finds
/// them through the membership table, state that survives restarting every silo, and a killed node noticed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterModeTests(PostgresServer postgres) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 32 s: four silo processes started one after another on PostgreSQL
    public async Task TwoSilos_OnPostgres_FormOneCluster_AndStateSurvivesRestartOfAllSilos()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("cluster_restart");
        var a = Options("node-a", database);
        var b = Options("node-b", database);
        var admin = ClusterJoin.AdminCredential(a);
        string stoppedId, runningId;

        await using (var siloA = await SiloProcess.StartAsync(a))
        await using (var siloB = await SiloProcess.StartAsync(b = await ClusterJoin.JoiningAsync(b, siloA)))
        await using (var client = await ClusterClient.ViaPostgresAsync(database, admin))
        {
            var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
            await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Count(n => n.Health == NodeHealth.Healthy) == 2, Timeout, "both nodes healthy");

            var catalog = client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
            var onB = await catalog.CreateVmAsync(new VmSpec("pg-on-b", 2, 512, 3, null, "node-b"));
            var onA = await catalog.CreateVmAsync(new VmSpec("pg-on-a", 1, 256, 1, null, "node-a"));
            Assert.Equal("node-b", onB.NodeId);
            var vmB = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(onB.NodeId, onB.Id));
            await Eventually.HoldsAsync(() => vmB.GetAsync(), v => v.State == VmState.Running, Timeout, "VM on node-b running");
            await vmB.StopAsync();
            await Eventually.HoldsAsync(() => vmB.GetAsync(), v => v.State == VmState.Stopped, Timeout, "VM on node-b stopped");
            (stoppedId, runningId) = (onB.Id, onA.Id);

            await siloA.StopAsync();
            await siloB.StopAsync();
        }

        // Restarted nodes keep their certificates: B's spent token plays no part any more.
        await using (var siloA = await SiloProcess.StartAsync(a with { }))
        await using (var siloB = await SiloProcess.StartAsync(b with { }))
        await using (var client = await ClusterClient.ViaPostgresAsync(database, admin))
        {
            var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
            var nodes = await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Count(n => n.Health == NodeHealth.Healthy) == 2, Timeout, "both nodes back");
            Assert.Equal(new NodeCapacity(2, 512, 3), nodes.Single(n => n.NodeId == "node-b").Reserved);
            Assert.Equal(1, nodes.Single(n => n.NodeId == "node-a").VmCount);

            var catalog = client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
            var stopped = await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("node-b", stoppedId)).GetAsync();
            Assert.Equal(VmState.Stopped, stopped.State);
            Assert.Equal("pg-on-b", stopped.Name);
            Assert.True((await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("node-b", stoppedId)).GetEventsAsync()).Count >= 5);

            // The sim driver's running VM did not survive its silo: the VM grain says so instead of pretending.
            var formerlyRunning = await Eventually.HoldsAsync(
                () => client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("node-a", runningId)).GetAsync(), v => v.State == VmState.Failed, Timeout, "reconciled");
            Assert.Contains("no longer has this VM", formerlyRunning.Reason);
            var list = await Eventually.HoldsAsync(catalog.ListAsync, l => l.Single(v => v.Id == runningId).State == VmState.Failed, Timeout, "catalog updated");
            Assert.Equal(2, list.Count);
        }
    }

    [Fact]
    [Trait("Category", "Slow")] // 18-30 s: it waits for the membership protocol to declare the killed silo dead
    public async Task KilledSilo_NodeTurnsUnhealthyWithin30Seconds_AndItsVmsAreLost()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("cluster_kill");
        await using var siloA = await SiloProcess.StartAsync(Options("node-a", database));
        await using var siloB = await ClusterJoin.StartAsync(Options("node-b", database), siloA);
        await using var client = await ClusterClient.ViaGatewayAsync(siloA.Options.GatewayPort, ClusterJoin.AdminCredential(siloA));
        var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Count(n => n.Health == NodeHealth.Healthy) == 2, Timeout, "both nodes healthy");
        var catalog = client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var vm = await catalog.CreateVmAsync(new VmSpec("pg-doomed", 1, 256, 1, null, "node-b"));

        await siloB.KillAsync();
        var killedAt = DateTime.UtcNow;

        await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Single(n => n.NodeId == "node-b").Health == NodeHealth.Unhealthy,
            TimeSpan.FromSeconds(30), "node-b unhealthy");
        Assert.True(DateTime.UtcNow - killedAt < TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(catalog.ListAsync, l => l.Single(v => v.Id == vm.Id).State == VmState.Lost, TimeSpan.FromSeconds(10), "VM lost");
        Assert.Equal(NodeHealth.Healthy, (await scheduler.ListNodesAsync()).Single(n => n.NodeId == "node-a").Health);
    }

    [Fact]
    public async Task EmbeddedMode_StateSurvivesSigkillAndRestart()
    {
        var options = new SiloProcessOptions("solo", Path.Combine(_data.Path, "solo"));
        string id;
        await using (var silo = await SiloProcess.StartAsync(options))
        await using (var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort))
        {
            var catalog = client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
            var vm = await catalog.CreateVmAsync(new VmSpec("solo-vm", 1, 256, 1, null, null));
            var grain = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
            await Eventually.HoldsAsync(() => grain.GetAsync(), v => v.State == VmState.Running, Timeout, "running");
            await grain.StopAsync();
            await Eventually.HoldsAsync(() => grain.GetAsync(), v => v.State == VmState.Stopped, Timeout, "stopped");
            id = vm.Id;
            await silo.KillAsync();
        }

        await using (var silo = await SiloProcess.StartAsync(options with { }))
        await using (var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort))
        {
            var list = await client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
            Assert.Equal(VmState.Stopped, list.Single(v => v.Id == id).State);
            var nodes = await client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
            Assert.Equal(1, nodes.Single().VmCount);
        }
    }

    private SiloProcessOptions Options(string nodeId, string database) =>
        new(nodeId, Path.Combine(_data.Path, nodeId)) { Mode = "cluster", Postgres = database };

    public void Dispose() => _data.Dispose();
}

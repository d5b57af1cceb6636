using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Finding 10, performed: a real silo process is SIGKILLed after the scheduler reserved capacity for a VM and before the
/// VM was created (the test hook holds every create at that point). Restarted, the silo's scheduler finds the
/// reservation with no VM behind it and gives the capacity back once the grace period has passed — and leaves a real
/// VM's reservation alone.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ReservationLeakTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30); // longer than a silo restart on a loaded machine
    private readonly TestDirectory _data = new("reservation-leak");

    [Fact]
    public async Task SiloKilledBetweenPlacementAndCreate_ReservationIsReleasedAfterTheGrace_RealVmKeepsItsOwn()
    {
        var held = new NodeCapacity(2, 512, 3);
        var options = new SiloProcessOptions("leak-node", _data.Path) { Environment = { ["Formation__Testing__HoldCreateAfterPlacement"] = "true" } };
        await using (var silo = await SiloProcess.StartAsync(options))
        await using (var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort))
        {
            Assert.Contains("HoldCreateAfterPlacement is on", silo.Output);
            var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
            await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Any(n => n.NodeId == "leak-node" && n.Health == NodeHealth.Healthy),
                TimeSpan.FromSeconds(30), "the node registered");
            var catalog = client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
            var creating = catalog.CreateVmAsync(new VmSpec("held", held.VCpus, held.MemoryMiB, held.DiskGiB, null, null));
            _ = creating.ContinueWith(t => t.Exception, TaskScheduler.Default); // it never completes: the silo dies under it

            await Eventually.TrueAsync(() => silo.Output.Contains("holding the create of VM", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
                "the create to stop between placement and creation");
            var node = (await scheduler.ListNodesAsync()).Single();
            Assert.Equal(held, node.Reserved);
            Assert.Equal(1, node.VmCount);
            Assert.Empty(await catalog.ListAsync());

            await silo.KillAsync();
            Assert.True(silo.HasExited);
        }

        var restarted = options with
        {
            Environment = new Dictionary<string, string>
            {
                ["Formation__Scheduler__ReservationGrace"] = Grace.ToString(),
                ["Formation__Scheduler__ReconcileInterval"] = "00:00:01",
            },
        };
        await using (var silo = await SiloProcess.StartAsync(restarted))
        await using (var client = await ClusterClient.ViaGatewayAsync(restarted.GatewayPort))
        {
            var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
            var leaked = (await scheduler.ListNodesAsync()).Single();
            Assert.Equal(held, leaked.Reserved); // persisted, and younger than the grace: still held

            var real = await client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec("real", 1, 256, 1, null, null));
            var realPlaced = DateTime.UtcNow;
            var afterRelease = await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Single().VmCount == 1, Grace + TimeSpan.FromSeconds(30),
                "the leaked reservation to be released");
            Assert.Equal(real.Spec.Resources, afterRelease.Single().Reserved);
            await silo.WaitForOutputAsync(o => o.Contains("no VM behind it", StringComparison.Ordinal), "the release of the leaked reservation");

            // The real VM's reservation outlives the grace (and an audit or two after it).
            var pastItsGrace = realPlaced + Grace + TimeSpan.FromSeconds(3) - DateTime.UtcNow;
            if (pastItsGrace > TimeSpan.Zero)
            {
                await Task.Delay(pastItsGrace, TestContext.Current.CancellationToken);
            }

            var later = (await scheduler.ListNodesAsync()).Single();
            Assert.Equal(real.Spec.Resources, later.Reserved);
            Assert.Equal(1, later.VmCount);
        }
    }

    [Fact]
    public async Task Silo_ReservationGraceTooShort_RefusesToStartSayingWhatToUse()
    {
        var options = new SiloProcessOptions("leak-config", _data.Path) { Environment = { ["Formation__Scheduler__ReservationGrace"] = "00:00:00" } };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(options));

        Assert.Contains("Scheduler:ReservationGrace 00:00:00 is too short: use at least 00:00:01", refused.Message);
    }

    public void Dispose() => _data.Dispose();
}

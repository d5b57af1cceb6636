using Formation.Errors;
using Formation.Grains.Images;
using Formation.Images;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Pack;
using Formation.Silo.Tests.Images;
using Formation.Silo.Tests.Infrastructure;
using Formation.Vms;

namespace Formation.Silo.Tests.Processes;

/// <summary>
/// Images follow their VMs between real formation-silo processes: two silos on this machine in one cluster (PostgreSQL
/// membership and state), each with its own data directory and image store. The sim driver does not read image files,
/// yet the node's store must hold the verified image before the VM leaves Provisioning.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ImageFetchProcessTests(PostgresServer postgres) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 30 s: two silo processes on PostgreSQL, a build, two VMs
    public async Task ImageBuiltOnA_VmPinnedToB_BFetchesAndVerifiesIt_ASecondVmOnBDoesNotFetchAgain()
    {
        postgres.RequireAvailable();
        TestEnvironment.RequireBuilder();
        var database = await postgres.CreateDatabaseAsync("image_fetch");
        var a = Options("holder-a", database);
        var b = Options("taker-b", database);
        await using var siloA = await SiloProcess.StartAsync(a);
        await using var siloB = await ClusterJoin.StartAsync(b, siloA);
        await using var client = await ClusterClient.ViaPostgresAsync(database, ClusterJoin.AdminCredential(siloA));
        var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Count(n => n.Health == NodeHealth.Healthy) == 2, Timeout, "both nodes healthy");

        var built = await BuildSessions.BuildAsync(client.Client, "holder-a", "NAME travels\nFROM tiny\nRUN echo travelled > /travelled\n");
        Assert.True(built.Final.Phase == ImageBuildPhase.Succeeded, built.Dump());
        var manifest = built.Final.Manifest!;
        var storeB = new ImageStore(new PackOptions { DataDirectory = b.DataDirectory });
        Assert.Null(await storeB.FindAsync(manifest.Digest, TestContext.Current.CancellationToken));

        var catalog = client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var first = await catalog.CreateVmAsync(new VmSpec("travels-1", 1, 128, 1, "travels", "taker-b"));
        var running = await Eventually.HoldsAsync(() => client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(first.NodeId, first.Id)).GetAsync(),
            v => v.State is VmState.Running or VmState.Failed, Timeout, "the first VM past Provisioning");
        Assert.True(running.State == VmState.Running, $"{running.State}: {running.Reason}\n{siloB.Output}");

        var held = await storeB.GetAsync(manifest.Digest, TestContext.Current.CancellationToken);
        Assert.NotNull(held);
        Assert.Equal(manifest.Digest, ImageStore.ComputeDigest(held.Manifest));
        Assert.Equal(manifest.RootFilesystem.Digest, await ChunkedDigest.ComputeAsync(held.RootFilesystemPath, TestContext.Current.CancellationToken));
        Assert.Equal(["holder-a", "taker-b"], (await client.Client.GetGrain<IImageGrain>("travels").GetStatusAsync()).Nodes);
        var firstEvents = await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(first.NodeId, first.Id)).GetEventsAsync();
        // Between real silo processes the bytes come over holder-a's image stream (mutual TLS with the nodes' certificates).
        Assert.Contains(firstEvents, e => e.Reason!.StartsWith("image travels fetched from node holder-a:", StringComparison.Ordinal) &&
            e.Reason.EndsWith("every file verified, over the image stream", StringComparison.Ordinal));

        // A client (the admin's, even) gets no ticket for a node's image stream: that is between nodes.
        var refused = await Assert.ThrowsAsync<FormationException>(() =>
            client.Client.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore("holder-a")).OfferStreamAsync(manifest.Digest));
        Assert.Equal(ErrorKind.PermissionDenied, refused.Kind);

        var second = await catalog.CreateVmAsync(new VmSpec("travels-2", 1, 128, 1, "travels", "taker-b"));
        await Eventually.HoldsAsync(() => client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(second.NodeId, second.Id)).GetAsync(),
            v => v.State == VmState.Running, Timeout, "the second VM running");
        var secondEvents = await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(second.NodeId, second.Id)).GetEventsAsync();
        Assert.DoesNotContain(secondEvents, e => e.Reason!.Contains("image travels", StringComparison.Ordinal));
        var fetched = $"Image {manifest.Digest} fetched from node holder-a";
        await siloB.WaitForOutputAsync(o => o.Contains(fetched, StringComparison.Ordinal), "the fetch");
        Assert.Single(siloB.Output.Split('\n'), l => l.Contains(fetched, StringComparison.Ordinal));
    }

    private SiloProcessOptions Options(string nodeId, string database) =>
        new(nodeId, Path.Combine(_data.Path, nodeId)) { Mode = "cluster", Postgres = database };

    public void Dispose() => _data.Dispose();
}

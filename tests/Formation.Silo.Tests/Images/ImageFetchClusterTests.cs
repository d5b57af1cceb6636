using Formation.Events;
using Formation.Grains.Images;
using Formation.Images;
using Formation.Silo.Pack;
using Formation.Silo.Tests.Clusters;
using Formation.Vms;
using Orleans.Streams;

namespace Formation.Silo.Tests.Images;

/// <summary>
/// Images follow their VMs through the real grains of a 3-silo cluster (each silo its own image store on disk): a VM
/// placed on a node without its image waits while that node fetches and verifies it, and a source that serves other
/// bytes than the manifest's fails the VM with the reason and leaves nothing in the receiving store.
/// </summary>
[Collection(ImageClusterCollection.Name)]
public sealed class ImageFetchClusterTests(SimClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private IClusterClient Client => fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IVmCatalogGrain Catalog => Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    private async Task<ImageManifest> BuildAsync(string nodeId, string name)
    {
        TestEnvironment.RequireBuilder();
        var built = await BuildSessions.BuildAsync(Client, nodeId, $"NAME {name}\nFROM tiny\nRUN echo {Guid.NewGuid():N} > /unique\n");
        Assert.True(built.Final.Phase == ImageBuildPhase.Succeeded, built.Dump());
        return built.Final.Manifest!;
    }

    private async Task<VmInfo> WaitAsync(VmInfo vm, VmState state) =>
        await Eventually.HoldsAsync(() => Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetAsync(), v => v.State == state, Timeout, $"{vm.Name} {state}");

    private Task<IReadOnlyList<VmEvent>> EventsAsync(VmInfo vm) => Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetEventsAsync();

    private ImageStore StoreOf(string nodeId) => ImageClusterCollection.StoreOf(fixture, nodeId);

    [Fact]
    public async Task VmOnANodeWithoutTheImage_WaitsWhileTheNodeFetchesIt_ThenRuns_AndTheNextVmThereReusesIt()
    {
        var manifest = await BuildAsync("node-0", "fetch-travels");
        var streamed = new List<VmEvent>();
        var subscription = await Client.GetStreamProvider(EventStreams.Provider).GetStream<VmEvent>(EventStreams.ForAllVms())
            .SubscribeAsync((e, _) =>
            {
                lock (streamed)
                {
                    streamed.Add(e);
                }

                return Task.CompletedTask;
            });
        Assert.Null(await StoreOf("node-2").FindAsync(manifest.Digest, Ct));

        var first = await Catalog.CreateVmAsync(new VmSpec("fetch-first", 1, 128, 1, "fetch-travels", "node-2"));
        await WaitAsync(first, VmState.Running);

        var held = await StoreOf("node-2").GetAsync(manifest.Digest, Ct);
        Assert.NotNull(held);
        Assert.Equal((manifest.Digest, manifest.Digest), (held.Manifest.Digest, ImageStore.ComputeDigest(held.Manifest)));
        Assert.Equal(manifest.RootFilesystem.Digest, await ChunkedDigest.ComputeAsync(held.RootFilesystemPath, Ct));
        var status = await Client.GetGrain<IImageGrain>("fetch-travels").GetStatusAsync();
        Assert.Equal(["node-0", "node-2"], status.Nodes);
        var history = (await EventsAsync(first)).Select(e => $"{e.From}->{e.To} {e.Reason}").ToList();
        var fetched = Assert.Single(history, e => e.Contains("fetched from node node-0"));
        Assert.StartsWith("Provisioning->Provisioning image fetch-travels fetched from node node-0:", fetched);
        Assert.Contains("every file verified, over the image stream", fetched);
        Assert.True(history.FindIndex(e => e.Contains("does not hold image fetch-travels")) < history.IndexOf(fetched), string.Join("\n", history));
        Assert.True(history.IndexOf(fetched) < history.FindIndex(e => e.Contains("->Running")), string.Join("\n", history));
        await Eventually.TrueAsync(() =>
        {
            lock (streamed)
            {
                return streamed.Any(e => e.VmId == first.Id && e.Reason!.StartsWith("fetching image fetch-travels from node node-0:", StringComparison.Ordinal));
            }
        }, Timeout, "a progress event on the stream");
        await subscription.UnsubscribeAsync();

        var second = await Catalog.CreateVmAsync(new VmSpec("fetch-second", 1, 128, 1, "fetch-travels", "node-2"));
        await WaitAsync(second, VmState.Running);
        Assert.DoesNotContain(await EventsAsync(second), e => e.Reason!.Contains("image fetch-travels", StringComparison.Ordinal));

        // Unpinned, a VM of the image goes to a node that holds it (both have room): nothing to fetch.
        var third = await Catalog.CreateVmAsync(new VmSpec("fetch-third", 1, 128, 1, "fetch-travels", null));
        Assert.Contains(third.NodeId, new[] { "node-0", "node-2" });

        foreach (var vm in new[] { first, second, third })
        {
            await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
        }

        // Deleting the image removes the fetched copy too: the record knows node-2 holds it.
        await Eventually.HoldsAsync(Catalog.ListAsync, l => l.All(v => !v.Name.StartsWith("fetch-", StringComparison.Ordinal)), Timeout, "VMs gone");
        var deletion = await Client.GetGrain<IImageGrain>("fetch-travels").DeleteAsync();
        Assert.Equal(["node-0", "node-2"], deletion.Nodes);
        Assert.Null(await StoreOf("node-2").FindAsync(manifest.Digest, Ct));
    }

    [Fact]
    public async Task ConcurrentRequestsForOneImage_OnOneNode_FetchOnce()
    {
        var manifest = await BuildAsync("node-1", "fetch-once");
        var store = Client.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore("node-0"));

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => store.EnsureAsync("fetch-once", manifest.Digest)));

        Assert.All(results, r => Assert.True(r.Succeeded, r.Error));
        Assert.Single(results.Select(r => r.FetchId).Distinct());
        Assert.All(results, r => Assert.Equal((true, "node-1", manifest.RootFilesystem.SizeBytes, "over the image stream"), (r.Fetched, r.Source, r.Bytes, r.Transport)));
        var again = await store.EnsureAsync("fetch-once", manifest.Digest);
        Assert.Equal((true, false), (again.Succeeded, again.Fetched));
        Assert.NotNull(await StoreOf("node-0").FindAsync(manifest.Digest, Ct));
        await Client.GetGrain<IImageGrain>("fetch-once").DeleteAsync();
    }

    [Fact]
    public async Task SourceWithoutAnImageStream_TheImageComesInGrainCalls_VerifiedTheSameWay_AndTheResultSaysSo()
    {
        var manifest = await BuildAsync("node-1", "fetch-no-stream");
        var stream = ImageClusterCollection.StreamOf(fixture, "node-1");
        await stream.StopAsync(Ct);
        try
        {
            Assert.Null(stream.Endpoint);

            var result = await Client.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore("node-2")).EnsureAsync("fetch-no-stream", manifest.Digest);

            Assert.True(result.Succeeded, result.Error);
            Assert.Equal((true, "node-1", manifest.RootFilesystem.SizeBytes), (result.Fetched, result.Source, result.Bytes));
            Assert.Equal("over grain calls (node node-1 offers no image stream)", result.Transport);
            var held = await StoreOf("node-2").GetAsync(manifest.Digest, Ct);
            Assert.NotNull(held);
            Assert.Equal(manifest.RootFilesystem.Digest, await ChunkedDigest.ComputeAsync(held.RootFilesystemPath, Ct));
        }
        finally
        {
            await stream.StartAsync(CancellationToken.None);
        }

        Assert.NotNull(stream.Endpoint);
        await Client.GetGrain<IImageGrain>("fetch-no-stream").DeleteAsync();
    }

    [Fact]
    public async Task SourceServingTamperedBytes_FailsTheVmWithADigestMismatch_AndNothingEntersTheStore()
    {
        var manifest = await BuildAsync("node-1", "fetch-tampered");
        var stored = (await StoreOf("node-1").GetAsync(manifest.Digest, Ct))!.RootFilesystemPath;
        await using (var file = new FileStream(stored, FileMode.Open, FileAccess.ReadWrite))
        {
            // The attack: one bit of the source's copy flipped on its disk; its manifest is left as it was.
            file.Position = file.Length / 2;
            var b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0x01));
        }

        var vm = await Catalog.CreateVmAsync(new VmSpec("fetch-tampered", 1, 128, 1, "fetch-tampered", "node-0"));
        var failed = await WaitAsync(vm, VmState.Failed);

        Assert.StartsWith("image fetch failed: from node node-1: digest mismatch: rootfs.cpio hashes to sha256-4m:", failed.Reason);
        Assert.Contains($"the manifest says {manifest.RootFilesystem.Digest}", failed.Reason);
        Assert.Null(await StoreOf("node-0").FindAsync(manifest.Digest, Ct));
        Assert.Empty(ImageClusterCollection.FetchScratchOf(fixture, "node-0"));
        Assert.Equal(["node-1"], (await Client.GetGrain<IImageGrain>("fetch-tampered").GetStatusAsync()).Nodes);
        await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
    }

    [Fact]
    public async Task SourceThatNoLongerHoldsTheImage_FailsTheVmWithTheReason()
    {
        var manifest = await BuildAsync("node-1", "fetch-gone");
        Assert.True(await StoreOf("node-1").DeleteAsync(manifest.Digest, Ct)); // behind the record's back

        var vm = await Catalog.CreateVmAsync(new VmSpec("fetch-gone", 1, 128, 1, "fetch-gone", "node-2"));
        var failed = await WaitAsync(vm, VmState.Failed);

        Assert.Equal("image fetch failed: from node node-1: node node-1 no longer holds it", failed.Reason);
        Assert.Null(await StoreOf("node-2").FindAsync(manifest.Digest, Ct));
        Assert.Empty(ImageClusterCollection.FetchScratchOf(fixture, "node-2"));
        await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
    }
}

using Formation.Errors;
using Formation.Images;
using Formation.Silo.Tests.Clusters;
using Formation.Vms;

namespace Formation.Silo.Tests.Images;

/// <summary>Deleting images through the real grains: refused while a VM uses them, then every copy leaves every node.</summary>
[Collection(ImageClusterCollection.Name)]
public sealed class ImageDeleteClusterTests(SimClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IClusterClient Client => fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Delete_WhileAVmUsesTheImage_IsRefused_AfterTheVmIsDeleted_RemovesFilesAndRecord()
    {
        TestEnvironment.RequireBuilder();
        var built = await BuildSessions.BuildAsync(Client, "node-2", "NAME cluster-used\nFROM tiny\nRUN echo used > /used\n");
        Assert.True(built.Final.Phase == ImageBuildPhase.Succeeded, built.Dump());
        var digest = built.Final.Manifest!.Digest;
        var catalog = Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var vm = await catalog.CreateVmAsync(new VmSpec("uses-image", 1, 128, 1, "cluster-used", null));

        var byName = await Assert.ThrowsAsync<FormationException>(() => Client.GetGrain<IImageGrain>("cluster-used:latest").DeleteAsync());
        var byDigest = await Assert.ThrowsAsync<FormationException>(() => Client.GetGrain<IImageGrain>(digest).DeleteAsync());

        Assert.Equal(ErrorKind.Conflict, byName.Kind);
        Assert.Contains("is used by VM(s) uses-image", byName.Message);
        Assert.Contains("is used by VM(s) uses-image", byDigest.Message);
        Assert.Equal(ImageBuildState.Ready, (await Client.GetGrain<IImageGrain>("cluster-used").GetStatusAsync()).State);
        Assert.NotNull(await ImageClusterCollection.StoreOf(fixture, "node-2").GetAsync(digest, Ct));

        await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
        await Eventually.HoldsAsync(catalog.ListAsync, l => l.All(v => v.Id != vm.Id), Timeout, "the VM gone from the catalog");
        var deleted = await Client.GetGrain<IImageGrain>("cluster-used").DeleteAsync();

        Assert.Equal(new ImageDeletion("cluster-used:latest", digest, deleted.Nodes), deleted);
        Assert.Equal(["node-2"], deleted.Nodes);
        Assert.Null(await ImageClusterCollection.StoreOf(fixture, "node-2").GetAsync(digest, Ct));
        Assert.Null(await ImageClusterCollection.StoreOf(fixture, "node-2").GetAsync("cluster-used:latest", Ct));
        Assert.Equal(ImageBuildState.Unknown, (await Client.GetGrain<IImageGrain>("cluster-used").GetStatusAsync()).State);
        Assert.DoesNotContain(await Client.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster).ListAsync(), i => i.Reference == "cluster-used:latest");
        var again = await Assert.ThrowsAsync<FormationException>(() => Client.GetGrain<IImageGrain>("cluster-used").DeleteAsync());
        Assert.Equal(ErrorKind.NotFound, again.Kind);
    }

    [Fact]
    public async Task Delete_ByDigestSharedByTwoReferences_IsRefused_ByNameKeepsTheOther()
    {
        TestEnvironment.RequireBuilder();
        const string Formfile = "NAME cluster-shared\nFROM tiny\nRUN echo shared > /shared\n";
        var one = await BuildSessions.BuildAsync(Client, "node-1", Formfile, "cluster-shared:one");
        var two = await BuildSessions.BuildAsync(Client, "node-1", Formfile, "cluster-shared:two");
        var digest = one.Final.Manifest!.Digest;
        Assert.Equal(digest, two.Final.Manifest!.Digest); // the same node reuses every cached layer and artifact

        var ambiguous = await Assert.ThrowsAsync<FormationException>(() => Client.GetGrain<IImageGrain>(digest).DeleteAsync());
        Assert.Equal(ErrorKind.Conflict, ambiguous.Kind);
        Assert.Contains("cluster-shared:one, cluster-shared:two", ambiguous.Message);

        await Client.GetGrain<IImageGrain>("cluster-shared:one").DeleteAsync();
        var store = ImageClusterCollection.StoreOf(fixture, "node-1");
        Assert.Null(await store.GetAsync("cluster-shared:one", Ct));
        Assert.Equal(digest, (await store.GetAsync("cluster-shared:two", Ct))!.Manifest.Digest);
        Assert.Equal(ImageBuildState.Ready, (await Client.GetGrain<IImageGrain>(digest).GetStatusAsync()).State);

        await Client.GetGrain<IImageGrain>("cluster-shared:two").DeleteAsync();
        Assert.Null(await store.GetAsync(digest, Ct));
    }

    [Theory]
    [InlineData("cluster-never", ErrorKind.NotFound, "No image 'cluster-never'")]
    [InlineData("sha256:0123456789abcdef", ErrorKind.NotFound, "no image has a digest starting with '0123456789abcdef'")]
    [InlineData("Not Valid!", ErrorKind.InvalidArgument, "is not valid")]
    public async Task Delete_NoSuchImage_SaysSo(string reference, ErrorKind kind, string message)
    {
        var error = await Assert.ThrowsAsync<FormationException>(() => Client.GetGrain<IImageGrain>(reference).DeleteAsync());

        Assert.Equal(kind, error.Kind);
        Assert.Contains(message, error.Message);
    }
}

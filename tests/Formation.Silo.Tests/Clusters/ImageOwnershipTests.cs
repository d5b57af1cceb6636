using Formation.Errors;
using Formation.Images;
using Formation.Services;
using Formation.Silo.Pack;
using Formation.Silo.Tests.Images;
using Formation.Vms;
using static Formation.Testing.Accounts;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// Image names belong to accounts, through the real grains and real builds on a 3-silo cluster (each silo its own image
/// store on disk, sim VMs): two accounts may each build the same name; a member naming another account's image, by name
/// or by digest, to show, list, use, deploy or delete it gets the answer for a missing image, and the owner's image and
/// VM are unchanged; a digest two accounts share stays on disk until neither has it.
/// </summary>
[Collection(ImageClusterCollection.Name)]
public sealed class ImageOwnershipTests(SimClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private IClusterClient Client => fixture.Client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IVmCatalogGrain Catalog(IClusterClient c) => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    private ImageStore StoreOf(string nodeId) => ImageClusterCollection.StoreOf(fixture, nodeId);

    private async Task<ImageManifest> BuildAsAsync(string account, string nodeId, string formfile)
    {
        TestEnvironment.RequireBuilder();
        var built = await AsAccount(Client, account, c => BuildSessions.BuildAsync(c, nodeId, formfile));
        Assert.True(built.Final.Phase == ImageBuildPhase.Succeeded, built.Dump());
        return built.Final.Manifest!;
    }

    private Task<ImageStatus> StatusAsync(string account, string reference, bool admin = false) =>
        AsAccount(Client, account, c => c.GetGrain<IImageGrain>(reference).GetStatusAsync(), admin);

    private async Task<VmInfo> CreateRunningAsync(string account, VmSpec spec)
    {
        var created = await AsAccount(Client, account, c => Catalog(c).CreateVmAsync(spec));
        await Eventually.HoldsAsync(() => Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id)).GetAsync(),
            v => v.State == VmState.Running, Timeout, $"{account}'s {spec.Name} running");
        return created;
    }

    private async Task DeleteVmAsync(VmInfo vm)
    {
        await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
        await Eventually.HoldsAsync(Catalog(Client).ListAsync, l => l.All(v => v.Id != vm.Id), Timeout, $"{vm.Name} gone from the catalog");
    }

    [Fact]
    public async Task TwoAccounts_BuildTheSameName_EachGetsItsOwnImage_ListsOnlyItsOwn_AdminsSeeBoth()
    {
        var a = await BuildAsAsync("imo-a", "node-0", "NAME imo-web\nFROM tiny\nRUN echo a > /who\n");
        var b = await BuildAsAsync("imo-b", "node-0", "NAME imo-web\nFROM tiny\nRUN echo b > /who\n");
        Assert.NotEqual(a.Digest, b.Digest);

        // The same name is each account's own image; the admin account has none of that name.
        var ofA = await StatusAsync("imo-a", "imo-web");
        var ofB = await StatusAsync("imo-b", "imo-web:latest");
        Assert.Equal((ImageBuildState.Ready, a.Digest, "imo-a", "imo-web:latest"), (ofA.State, ofA.Digest, ofA.Account, ofA.Reference));
        Assert.Equal((ImageBuildState.Ready, b.Digest, "imo-b", "imo-web:latest"), (ofB.State, ofB.Digest, ofB.Account, ofB.Reference));
        Assert.Equal(ImageBuildState.Unknown, (await Client.GetGrain<IImageGrain>("imo-web").GetStatusAsync()).State);

        // A member lists its own; an admin every account's, each row naming its account, and addresses them as ACCOUNT/NAME.
        var listA = await AsAccount(Client, "imo-a", c => ImageReads.ListAsync(c));
        var listB = await AsAccount(Client, "imo-b", c => ImageReads.ListAsync(c));
        Assert.All(listA, i => Assert.Equal("imo-a", i.Owner()));
        Assert.All(listB, i => Assert.Equal("imo-b", i.Owner()));
        Assert.Equal([a.Digest], listA.Where(i => i.Reference == "imo-web:latest").Select(i => i.Digest));
        Assert.Equal([b.Digest], listB.Where(i => i.Reference == "imo-web:latest").Select(i => i.Digest));
        var all = await AsAccount(Client, "ops", c => ImageReads.ListAsync(c), admin: true);
        Assert.Equal(["imo-a", "imo-b"], all.Where(i => i.Reference == "imo-web:latest").Select(i => i.Owner()).Order());
        Assert.Equal(b.Digest, (await StatusAsync("ops", "imo-b/imo-web", admin: true)).Digest);
        Assert.Equal(a.Digest, (await StatusAsync("ops", "imo-a/" + a.Digest, admin: true)).Digest);

        // On the node each has its own tag; deleting A's leaves B's image, tag and files.
        var store = StoreOf("node-0");
        Assert.Equal(a.Digest, (await store.GetAsync("imo-a:imo-web:latest", Ct))!.Manifest.Digest);
        Assert.Equal(b.Digest, (await store.GetAsync("imo-b:imo-web:latest", Ct))!.Manifest.Digest);
        var deleted = await AsAccount(Client, "imo-a", c => c.GetGrain<IImageGrain>("imo-web").DeleteAsync());
        Assert.Equal(("imo-a/imo-web:latest", a.Digest), (deleted.Reference, deleted.Digest));
        Assert.Null(await store.GetAsync(a.Digest, Ct));
        Assert.Equal(b.Digest, (await store.GetAsync("imo-b:imo-web:latest", Ct))!.Manifest.Digest);
        Assert.Equal(ImageBuildState.Ready, (await StatusAsync("imo-b", "imo-web")).State);

        await AsAccount(Client, "imo-b", c => c.GetGrain<IImageGrain>("imo-web").DeleteAsync());
        Assert.Null(await store.GetAsync(b.Digest, Ct));
    }

    [Fact]
    public async Task AnotherAccount_ShowsUsesDeploysOrDeletesAnImage_ByNameOrDigest_ItLooksMissing_AndNothingChanges()
    {
        var manifest = await BuildAsAsync("ima-a", "node-1", "NAME ima-web\nFROM tiny\nRUN echo victim > /victim\n");
        var digest = manifest.Digest;
        var hex = digest["sha256:".Length..];
        var vm = await CreateRunningAsync("ima-a", new VmSpec("ima-vm", 1, 64, 1, "ima-web", null));
        var before = await StatusAsync("ima-a", "ima-web");
        var vmEvents = await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetEventsAsync();

        // Each way of naming A's image, beside a missing image named the same way: (name, missing, the part that differs).
        (string Name, string Missing, string Real, string Fake)[] names =
        [
            ("ima-web", "ima-none", "ima-web", "ima-none"),
            ("ima-web:latest", "ima-none:latest", "ima-web", "ima-none"),
            ("ima-a/ima-web", "ima-a/ima-none", "ima-web", "ima-none"),
            (digest, "sha256:" + new string('0', 64), hex, new string('0', 64)),
            ("sha256:" + hex[..12], "sha256:" + new string('0', 12), hex[..12], new string('0', 12)),
            (hex[..16], new string('0', 16), hex[..16], new string('0', 16)),
            ("ima-a/" + digest, "ima-a/sha256:" + new string('0', 64), hex, new string('0', 64)),
        ];
        foreach (var (name, missingName, real, fake) in names)
        {
            async Task SameAsMissingAsync(Func<IClusterClient, string, Task> attack, string what)
            {
                var missing = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "ima-b", c => attack(c, missingName)));
                var hidden = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "ima-b", c => attack(c, name)));
                Assert.Equal((missing.Kind, missing.Message.Replace(fake, real)), (hidden.Kind, hidden.Message));
                Assert.True(hidden.Kind == ErrorKind.NotFound, $"{what} {name}: {hidden.Kind} {hidden.Message}");
            }

            await SameAsMissingAsync((c, n) => ImageReads.GetAsync(c, n), "show");
            await SameAsMissingAsync((c, n) => c.GetGrain<IImageGrain>(n).DeleteAsync(), "delete");
            await SameAsMissingAsync((c, n) => Catalog(c).CreateVmAsync(new VmSpec("ima-steal", 1, 64, 1, n, null)), "vm create --image");
            await SameAsMissingAsync(async (c, n) => await (await c.ServiceAsync("ima-svc")).DeployAsync(new ServiceSpec("ima-svc", 1, new VmSpec("", 1, 64, 1, n, null))),
                "deploy");
            Assert.Equal(ImageBuildState.Unknown, (await StatusAsync("ima-b", name)).State);
            Assert.Null(await AsAccount(Client, "ima-b", c => c.GetGrain<IImageGrain>(name).GetManifestAsync()));
        }

        // Pinning A's digest under a name B does not have, or building into A's account, gets nothing either.
        var pinned = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "ima-b", c => Catalog(c).CreateVmAsync(new VmSpec("ima-steal", 1, 64, 1, "ima-web", null, ImageDigest: digest))));
        Assert.Equal(ErrorKind.NotFound, pinned.Kind);
        var pinnedDeploy = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "ima-b", async c =>
            await (await c.ServiceAsync("ima-svc")).DeployAsync(new ServiceSpec("ima-svc", 1, new VmSpec("", 1, 64, 1, "ima-web", null, ImageDigest: digest)))));
        Assert.Equal(ErrorKind.NotFound, pinnedDeploy.Kind);
        var intoA = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "ima-b", c => BuildSessions.OpenAsync(c, "node-1", "NAME ima-web\nFROM tiny\n", "ima-a/ima-web")));
        Assert.Equal(ErrorKind.InvalidArgument, intoA.Kind);

        // B sees none of it, owns no VM; A's image, tag, files and VM are as they were, and A's own delete still sees A's VM.
        Assert.DoesNotContain(await AsAccount(Client, "ima-b", c => ImageReads.ListAsync(c)), i => i.Digest == digest);
        Assert.Empty(await AsAccount(Client, "ima-b", c => Catalog(c).ListAsync()));
        var after = await StatusAsync("ima-a", "ima-web");
        Assert.Equal((before.State, before.Digest, string.Join(",", before.Nodes), before.UpdatedAt), (after.State, after.Digest, string.Join(",", after.Nodes), after.UpdatedAt));
        Assert.Equal(digest, (await StoreOf("node-1").GetAsync("ima-a:ima-web:latest", Ct))!.Manifest.Digest);
        var vmAfter = await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetAsync();
        Assert.Equal((VmState.Running, digest), (vmAfter.State, vmAfter.Spec.ImageDigest));
        Assert.Equal(vmEvents.Count, (await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetEventsAsync()).Count);
        var inUse = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "ima-a", c => c.GetGrain<IImageGrain>("ima-web").DeleteAsync()));
        Assert.Equal(ErrorKind.Conflict, inUse.Kind);
        Assert.Contains("ima-a/ima-vm", inUse.Message);

        await DeleteVmAsync(vm);
        await AsAccount(Client, "ima-a", c => c.GetGrain<IImageGrain>("ima-web").DeleteAsync());
        Assert.Null(await StoreOf("node-1").GetAsync(digest, Ct));
    }

    [Fact]
    public async Task ADigestTwoAccountsShare_StaysOnEveryNodeWhereTheOtherCanUseIt_UntilNeitherHasIt()
    {
        const string Formfile = "NAME ims-web\nFROM tiny\nRUN echo shared > /shared\n";
        var a = await BuildAsAsync("ims-a", "node-2", Formfile);
        var b = await BuildAsAsync("ims-b", "node-2", Formfile);
        var byAdmin = await BuildSessions.BuildAsync(Client, "node-2", Formfile); // no caller: the silo, i.e. the admin account
        Assert.Equal(a.Digest, b.Digest); // the same node reuses every cached layer: one set of files, three accounts' tags
        Assert.Equal(a.Digest, byAdmin.Final.Manifest?.Digest);
        var digest = a.Digest;

        // B's VM makes node-0 fetch the files for B; A's VM on node-0 then boots from that same copy.
        var vmOfB = await CreateRunningAsync("ims-b", new VmSpec("ims-vm-b", 1, 64, 1, "ims-web", "node-0"));
        var vmOfA = await CreateRunningAsync("ims-a", new VmSpec("ims-vm-a", 1, 64, 1, "ims-web", "node-0"));
        Assert.Contains("node-0", (await StatusAsync("ims-b", "ims-web")).Nodes);
        Assert.DoesNotContain("node-0", (await StatusAsync("ims-a", "ims-web")).Nodes);

        // B deletes its VM and its image: only B's VMs count, and the files A still uses stay, now on A's record (and the
        // admin's). B names it "ims-web:latest", the key of the admin's record: that grain reads it as B's and forwards,
        // and B's record then hands node-0's copy back to it in the same call chain.
        await DeleteVmAsync(vmOfB);
        var deleted = await AsAccount(Client, "ims-b", c => c.GetGrain<IImageGrain>("ims-web:latest").DeleteAsync());
        Assert.Equal(["node-0", "node-2"], deleted.Nodes.Order());
        Assert.NotNull(await StoreOf("node-0").GetAsync(digest, Ct));
        Assert.Null(await StoreOf("node-2").GetAsync("ims-b:ims-web:latest", Ct));
        Assert.Equal(digest, (await StoreOf("node-2").GetAsync("ims-a:ims-web:latest", Ct))!.Manifest.Digest);
        var ofA = await StatusAsync("ims-a", "ims-web");
        Assert.Equal((ImageBuildState.Ready, digest), (ofA.State, ofA.Digest));
        Assert.Equal(["node-0", "node-2"], ofA.Nodes.Order());
        Assert.Equal(["node-0", "node-2"], (await Client.GetGrain<IImageGrain>("ims-web").GetStatusAsync()).Nodes.Order());
        Assert.Equal(VmState.Running, (await Client.GetGrain<IVmGrain>(GrainKeys.Vm(vmOfA.NodeId, vmOfA.Id)).GetAsync()).State);
        var byDigest = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "ims-b", c => c.GetGrain<IImageGrain>(digest).DeleteAsync()));
        Assert.Equal(ErrorKind.NotFound, byDigest.Kind);

        // A's image goes when A's VM is gone; the files stay while the admin's image has them, and go with it.
        var inUse = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "ims-a", c => c.GetGrain<IImageGrain>("ims-web").DeleteAsync()));
        Assert.Equal(ErrorKind.Conflict, inUse.Kind);
        await DeleteVmAsync(vmOfA);
        await AsAccount(Client, "ims-a", c => c.GetGrain<IImageGrain>("ims-web").DeleteAsync());
        Assert.NotNull(await StoreOf("node-0").GetAsync(digest, Ct));
        Assert.Equal(digest, (await StoreOf("node-2").GetAsync("ims-web:latest", Ct))!.Manifest.Digest);
        await Client.GetGrain<IImageGrain>("ims-web").DeleteAsync();
        Assert.Null(await StoreOf("node-0").GetAsync(digest, Ct));
        Assert.Null(await StoreOf("node-2").GetAsync(digest, Ct));
    }
}

using Formation.Errors;
using Formation.Images;
using Formation.Services;
using Formation.Silo.Tests.Images;
using Formation.Vms;
using static Formation.Testing.Accounts;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// Services belong to accounts, through the real grains (a real image build, sim VMs): a deploy by another account under
/// the same name makes that account's own service and does not touch the first; naming the first directly is refused
/// as if it did not exist.
/// </summary>
[Collection(ImageClusterCollection.Name)]
public sealed class ServiceOwnershipTests(SimClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task DeployOverAnotherAccountsService_MakesItsOwn_AndLeavesTheFirstUnchanged()
    {
        TestEnvironment.RequireBuilder();
        // Images belong to accounts too: each account deploys its own image of the same name.
        foreach (var account in new[] { "svc-a", "svc-b" })
        {
            var built = await AsAccount(Client, account, c => BuildSessions.BuildAsync(c, "node-0", "NAME owned-svc-img\nFROM tiny\nRUN echo owned > /owned\n"));
            Assert.True(built.Final.Phase == ImageBuildPhase.Succeeded, built.Dump());
        }

        var template = new VmSpec("", 1, 64, 1, "owned-svc-img", null);

        await AsAccount(Client, "svc-a", async c => await (await c.ServiceAsync("owned")).DeployAsync(new ServiceSpec("owned", 2, template)));
        var first = await Eventually.HoldsAsync(() => AsAccount(Client, "svc-a", async c => await (await c.ServiceAsync("owned")).GetAsync()),
            s => s.Rollout == RolloutState.Steady && s.ReplicaList.Count(r => r.State == VmState.Running) == 2, Timeout, "svc-a's service steady");
        Assert.Equal("svc-a/owned", first.Name);
        var replicaIds = first.ReplicaList.Select(r => r.VmId).Order().ToArray();
        var vmsOfA = await AsAccount(Client, "svc-a", c => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync());
        Assert.Equal(replicaIds, vmsOfA.Where(v => v.Service == "svc-a/owned").Select(v => v.Id).Order());

        // B deploys "owned" too: its own service, its own replicas.
        await AsAccount(Client, "svc-b", async c => await (await c.ServiceAsync("owned")).DeployAsync(new ServiceSpec("owned", 1, template)));
        var second = await Eventually.HoldsAsync(() => AsAccount(Client, "svc-b", async c => await (await c.ServiceAsync("owned")).GetAsync()),
            s => s.Rollout == RolloutState.Steady && s.ReplicaList.Count(r => r.State == VmState.Running) == 1, Timeout, "svc-b's service steady");
        Assert.Equal("svc-b/owned", second.Name);
        Assert.Empty(second.ReplicaList.Select(r => r.VmId).Intersect(replicaIds));
        var vmsOfB = await AsAccount(Client, "svc-b", c => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync());
        Assert.All(vmsOfB, v => Assert.Equal("svc-b", v.Account));

        // B straight at A's service grain: every call answers as for a service that does not exist.
        var missing = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "svc-b", c => c.GetGrain<IServiceGrain>("svc-a/nothing").GetAsync()));
        var expected = missing.Message.Replace("svc-a/nothing", "svc-a/owned");
        var attacks = new Func<IServiceGrain, Task>[]
        {
            g => g.GetAsync(), g => g.ScaleAsync(0), g => g.RollbackAsync(), g => g.DeleteAsync(),
            g => g.DeployAsync(new ServiceSpec("owned", 5, template)),
        };
        foreach (var attack in attacks)
        {
            var refused = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "svc-b", c => attack(c.GetGrain<IServiceGrain>("svc-a/owned"))));
            Assert.Equal((ErrorKind.NotFound, expected), (refused.Kind, refused.Message));
        }

        var hidden = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "svc-b", c => c.ServiceAsync("svc-a/owned")));
        Assert.Equal(ErrorKind.NotFound, hidden.Kind);
        Assert.Equal(["svc-b/owned"], (await AsAccount(Client, "svc-b", c => c.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).ListAsync()))
            .Where(s => s.Name.EndsWith("owned", StringComparison.Ordinal)).Select(s => s.Name));

        // A's service is as it was: same revision, same replicas, still two.
        var after = await AsAccount(Client, "svc-a", async c => await (await c.ServiceAsync("owned")).GetAsync());
        Assert.Equal((first.Revision, first.Replicas, RolloutState.Steady), (after.Revision, after.Replicas, after.Rollout));
        Assert.Equal(replicaIds, after.ReplicaList.Select(r => r.VmId).Order());

        // B's image of that name is B's own (its service uses it); A's, named as A's, looks missing to B.
        var own = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "svc-b", c => c.GetGrain<IImageGrain>("owned-svc-img").DeleteAsync()));
        Assert.Equal(ErrorKind.Conflict, own.Kind);
        Assert.Contains("svc-b/", own.Message);
        var image = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "svc-b", c => c.GetGrain<IImageGrain>("svc-a/owned-svc-img").DeleteAsync()));
        Assert.Equal(ErrorKind.NotFound, image.Kind);
        Assert.Equal(ImageBuildState.Ready, (await AsAccount(Client, "svc-a", c => c.GetGrain<IImageGrain>("owned-svc-img").GetStatusAsync())).State);

        await AsAccount(Client, "svc-b", async c => await (await c.ServiceAsync("owned")).DeleteAsync());
        await AsAccount(Client, "svc-a", async c => await (await c.ServiceAsync("owned")).DeleteAsync());
    }
}

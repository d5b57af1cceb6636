using Formation.Errors;
using Formation.Identity;
using Formation.Scheduling;
using Formation.Silo.Snapshots;
using Formation.Snapshots;
using Microsoft.Extensions.DependencyInjection;
using Formation.Vms;
using static Formation.Testing.Accounts;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// Every VM belongs to an account, through the real grains on the sim driver: members see and change only their own,
/// another account's VM answers exactly like a missing one, and the owner's VM is unchanged by the attempts.
/// </summary>
public sealed class OwnershipTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IClusterClient Client => fixture.Client;

    private static IVmCatalogGrain Catalog(IClusterClient c) => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    private async Task<VmInfo> CreateRunningAsync(string account, string name)
    {
        var created = await AsAccount(Client, account, c => Catalog(c).CreateVmAsync(new VmSpec(name, 1, 64, 1, null, null)));
        await Eventually.HoldsAsync(() => Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id)).GetAsync(),
            v => v.State == VmState.Running, Timeout, $"{account}'s {name} running");
        return created;
    }

    [Fact]
    public async Task Create_RecordsTheCallersAccount_AndTwoAccountsMayUseTheSameName()
    {
        var a = await CreateRunningAsync("own-a", "own-web");
        var b = await CreateRunningAsync("own-b", "own-web");
        var admin = await Catalog(Client).CreateVmAsync(new VmSpec("own-web", 1, 64, 1, null, null)); // no caller: the silo, i.e. admin

        Assert.Equal("own-a", a.Account);
        Assert.Equal("own-b", b.Account);
        Assert.Equal(Caller.AdminAccount, admin.Account);
        Assert.Equal(3, new[] { a.Id, b.Id, admin.Id }.Distinct().Count());

        // A member's list is its own; an admin's is everyone's, each row naming its account.
        var listA = await AsAccount(Client, "own-a", c => Catalog(c).ListAsync());
        Assert.Equal([a.Id], listA.Where(v => v.Name == "own-web").Select(v => v.Id));
        Assert.All(listA, v => Assert.Equal("own-a", v.Account));
        var all = await AsAccount(Client, "ops", c => Catalog(c).ListAsync(), admin: true);
        Assert.Equal(["admin", "own-a", "own-b"], all.Where(v => v.Name == "own-web").Select(v => v.Account).Order());

        // Bare names are the caller's own; ACCOUNT/NAME addresses another account's (admins only).
        Assert.Equal(b.Id, (await AsAccount(Client, "own-b", c => Catalog(c).ResolveAsync("own-web"))).Id);
        Assert.Equal(admin.Id, (await Catalog(Client).ResolveAsync("own-web")).Id);
        Assert.Equal(a.Id, (await AsAccount(Client, "ops", c => Catalog(c).ResolveAsync("own-a/own-web"), admin: true)).Id);
        Assert.Equal(a.Id, (await AsAccount(Client, "own-a", c => Catalog(c).ResolveAsync("own-a/own-web"))).Id);

        // Equal names are still refused within one account.
        var again = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "own-a", c => Catalog(c).CreateVmAsync(new VmSpec("own-web", 1, 64, 1, null, null))));
        Assert.Equal(ErrorKind.Conflict, again.Kind);
    }

    [Fact]
    public async Task AnotherAccount_CannotShowStopPauseDeleteConsoleOrExec_AndTheVmIsUnchanged()
    {
        var victim = await CreateRunningAsync("atk-a", "atk-web");
        var grainKey = GrainKeys.Vm(victim.NodeId, victim.Id);
        var before = await Client.GetGrain<IVmGrain>(grainKey).GetEventsAsync();

        // By name, by ACCOUNT/NAME and by id: the catalog answers word for word as for a VM that does not exist.
        var missing = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "atk-b", c => Catalog(c).ResolveAsync("atk-nothing")));
        foreach (var name in new[] { "atk-web", "atk-a/atk-web", victim.Id })
        {
            var hidden = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "atk-b", c => Catalog(c).ResolveAsync(name)));
            Assert.Equal(ErrorKind.NotFound, hidden.Kind);
            Assert.Equal(missing.Message.Replace("atk-nothing", name), hidden.Message);
        }

        // Straight at the VM's grains by key (skipping the catalog): the answer of a VM grain that holds no VM.
        var absent = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "atk-b", c => c.GetGrain<IVmGrain>(GrainKeys.Vm(victim.NodeId, "vm-aaaaaaaaaa")).GetAsync()));
        var expected = absent.Message.Replace("vm-aaaaaaaaaa", victim.Id);
        var attacks = new (string What, Func<IClusterClient, Task> Act)[]
        {
            ("show", c => c.GetGrain<IVmGrain>(grainKey).GetAsync()),
            ("events", c => c.GetGrain<IVmGrain>(grainKey).GetEventsAsync()),
            ("stop", c => c.GetGrain<IVmGrain>(grainKey).StopAsync()),
            ("pause", c => c.GetGrain<IVmGrain>(grainKey).PauseAsync()),
            ("reboot", c => c.GetGrain<IVmGrain>(grainKey).RebootAsync()),
            ("snapshot", c => c.GetGrain<IVmGrain>(grainKey).SnapshotAsync("stolen", false)),
            ("restore", c => c.GetGrain<IVmGrain>(grainKey).RestoreAsync("stolen")),
            ("delete", c => c.GetGrain<IVmGrain>(grainKey).DeleteAsync()),
            ("console read", c => c.GetGrain<IVmConsoleGrain>(grainKey).ReadAsync(0, 1024, TimeSpan.Zero)),
            ("console write", c => c.GetGrain<IVmConsoleGrain>(grainKey).WriteAsync("reboot\n"u8.ToArray())),
            ("exec", c => c.GetGrain<IVmExecGrain>(grainKey).StartAsync(new ExecRequest(["/bin/sh", "-c", "id"]))),
            ("exec input", c => c.GetGrain<IVmExecGrain>(grainKey).WriteAsync("s1", [1])),
        };
        foreach (var (what, act) in attacks)
        {
            var refused = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "atk-b", act));
            Assert.True(refused.Kind == ErrorKind.NotFound && refused.Message == expected, $"{what}: {refused.Kind} {refused.Message}");
        }

        // The internal paths: a forged host report, a forged catalog row, freeing the VM's reservation, marking its node lost.
        await AsAccount(Client, "atk-b", c => c.GetGrain<IVmGrain>(grainKey).ReportAsync(new HostReport(VmState.Stopped, "forged", Unexpected: true)));
        var row = (await Catalog(Client).ListAsync()).Single(v => v.Id == victim.Id);
        await AsAccount(Client, "atk-b", async c =>
        {
            await Catalog(c).UpdateAsync(row with { State = VmState.Deleted, Owner = "atk-b" });
            await Catalog(c).UpdateAsync(row with { State = VmState.Deleted });
        });
        var usage = (await Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync("atk-a")).Single();
        await AsAccount(Client, "atk-b", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ReleaseAsync(victim.Id));
        Assert.Equal(usage, (await Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync("atk-a")).Single());
        var lost = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "atk-b", c => Catalog(c).MarkNodeLostAsync(victim.NodeId)));
        Assert.Equal(ErrorKind.PermissionDenied, lost.Kind);

        // The owner's VM is as it was: still running, not one new transition.
        var after = await Client.GetGrain<IVmGrain>(grainKey).GetAsync();
        Assert.Equal(VmState.Running, after.State);
        Assert.Equal("atk-a", after.Account);
        Assert.Equal(before.Count, (await Client.GetGrain<IVmGrain>(grainKey).GetEventsAsync()).Count);
        Assert.Contains(await Catalog(Client).ListAsync(), v => v.Id == victim.Id);

        // The owner itself still gets in, and so does an admin.
        Assert.Equal(VmState.Paused, (await AsAccount(Client, "atk-a", c => c.GetGrain<IVmGrain>(grainKey).PauseAsync())).State);
        Assert.Equal(VmState.Running, (await AsAccount(Client, "ops", c => c.GetGrain<IVmGrain>(grainKey).ResumeAsync(), admin: true)).State);
    }

    [Fact]
    public async Task Quota_FiftyConcurrentCreates_NeverOvershootIt_AndDeleteGivesRoomBack()
    {
        const int Room = 4;
        var scheduler = Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        await scheduler.SetQuotaAsync("quota-a", new AccountQuota(VCpus: Room));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => TryAsync(
            AsAccount(Client, "quota-a", c => Catalog(c).CreateVmAsync(new VmSpec($"quota-{i}", 1, 64, 1, null, null))))));

        Assert.Equal(Room, outcomes.Count(o => o.Vm is not null));
        var refusal = outcomes.First(o => o.Error is not null).Error!;
        Assert.Equal(ErrorKind.QuotaExceeded, refusal.Kind);
        Assert.Equal($"account 'quota-a' would use {Room + 1} of {Room} vCPUs; delete a VM or ask an admin to raise the quota (`form quota show` lists usage and limits).",
            refusal.Message);
        Assert.All(outcomes.Where(o => o.Error is not null), o => Assert.Equal(ErrorKind.QuotaExceeded, o.Error!.Kind));
        var mine = await AsAccount(Client, "quota-a", c => Catalog(c).ListAsync());
        Assert.Equal(Room, mine.Count);
        var status = (await AsAccount(Client, "quota-a", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync())).Single();
        Assert.Equal(("quota-a", Room, Room), (status.Account, status.Used.VCpus, status.VmsUsed));

        // Another account is not limited by it.
        await AsAccount(Client, "quota-b", c => Catalog(c).CreateVmAsync(new VmSpec("quota-0", 1, 64, 1, null, null)));

        // A create that fails (no node has room) is not charged; a deleted VM gives its room back.
        var tooBig = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "quota-c", c => Catalog(c).CreateVmAsync(new VmSpec("quota-huge", 64, 64, 1, null, null))));
        Assert.Equal(ErrorKind.NoCapacity, tooBig.Kind);
        Assert.DoesNotContain(await scheduler.ListQuotasAsync(), q => q.Account == "quota-c");
        var first = mine[0];
        await AsAccount(Client, "quota-a", c => c.GetGrain<IVmGrain>(GrainKeys.Vm(first.NodeId, first.Id)).DeleteAsync());
        var replacement = await AsAccount(Client, "quota-a", c => Catalog(c).CreateVmAsync(new VmSpec("quota-again", 1, 64, 1, null, null)));
        Assert.Equal("quota-a", replacement.Account);
        await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "quota-a", c => Catalog(c).CreateVmAsync(new VmSpec("quota-over", 1, 64, 1, null, null))));
    }

    [Fact]
    public async Task Quota_OnlyAdminsSetThem_MembersSeeOnlyTheirOwn()
    {
        var denied = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "qm-a", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).SetQuotaAsync("qm-a", new AccountQuota(Vms: 100))));
        Assert.Equal(ErrorKind.PermissionDenied, denied.Kind);

        var set = await AsAccount(Client, "ops", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).SetQuotaAsync("qm-b", new AccountQuota(Vms: 2, MemoryMiB: 512)), admin: true);
        Assert.Equal(new AccountQuota(MemoryMiB: 512, Vms: 2), set.Limits);
        var lifted = await Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).SetQuotaAsync("qm-b", new AccountQuota(Vms: 0));
        Assert.Equal(new AccountQuota(MemoryMiB: 512), lifted.Limits);

        var seen = await AsAccount(Client, "qm-a", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync());
        Assert.Equal(["qm-a"], seen.Select(q => q.Account));
        Assert.Equal(AccountQuota.Unlimited, seen[0].Limits);
        Assert.Contains(await Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync(), q => q.Account == "qm-b");
        Assert.Equal(512, (await Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync("qm-b")).Single().Limits.MemoryMiB);
        var other = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "qm-a", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync("qm-b")));
        Assert.Equal(ErrorKind.PermissionDenied, other.Kind);
    }

    [Fact]
    public async Task Scheduler_ChargesAMemberItself_WhateverOwnerItsRequestNames()
    {
        var scheduler = Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        await scheduler.SetQuotaAsync("qf-a", new AccountQuota(Vms: 1));
        await AsAccount(Client, "qf-a", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster)
            .PlaceAsync(new PlacementRequest("vm-qfaaaaaaaa", new Formation.Nodes.NodeCapacity(1, 64, 1), null, Owner: "qf-victim")));
        try
        {
            var quotas = await scheduler.ListQuotasAsync();
            Assert.Equal(1, quotas.Single(q => q.Account == "qf-a").VmsUsed);
            Assert.DoesNotContain(quotas, q => q.Account == "qf-victim");
        }
        finally
        {
            await scheduler.ReleaseAsync("vm-qfaaaaaaaa");
        }
    }

    [Fact]
    public async Task Devices_AreTheAdminsOnly_AMemberCannotJoinRemoveOrSeeOne()
    {
        // A device is a peer of every node and reaches every account's VMs: a member may not add one, remove one, or see one.
        var devices = Client.GetGrain<Formation.Networking.INetDevicesGrain>(GrainKeys.Cluster);
        var key = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var laptop = await AsAccount(Client, "dev-ops", c => c.GetGrain<Formation.Networking.INetDevicesGrain>(GrainKeys.Cluster).JoinAsync("dev-laptop", key), admin: true);
        try
        {
            var otherKey = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());
            var join = await Assert.ThrowsAsync<FormationException>(() =>
                AsAccount(Client, "dev-bob", c => c.GetGrain<Formation.Networking.INetDevicesGrain>(GrainKeys.Cluster).JoinAsync("dev-bobs", otherKey)));
            Assert.Equal(ErrorKind.PermissionDenied, join.Kind);
            Assert.Contains("ask an admin", join.Message, StringComparison.Ordinal);
            var leave = await Assert.ThrowsAsync<FormationException>(() =>
                AsAccount(Client, "dev-bob", c => c.GetGrain<Formation.Networking.INetDevicesGrain>(GrainKeys.Cluster).LeaveAsync("dev-laptop")));
            Assert.Equal(ErrorKind.PermissionDenied, leave.Kind);
            Assert.Empty(await AsAccount(Client, "dev-bob", c => c.GetGrain<Formation.Networking.INetDevicesGrain>(GrainKeys.Cluster).ListAsync()));

            // Nothing changed: the admin's device is there as it was, and bob's was never made.
            var all = await devices.ListAsync();
            Assert.Equal([laptop], all.Where(d => d.Name.StartsWith("dev-", StringComparison.Ordinal)));
        }
        finally
        {
            await devices.LeaveAsync("dev-laptop");
        }
    }

    [Fact]
    public async Task Snapshots_AnotherAccountCannotListOrDeleteThem_AndTheyStay()
    {
        // Real snapshot stores of node-1's silo (the sim driver takes none itself): one snapshot of a VM of each account.
        var silo = fixture.Cluster.GetActiveSilos().Single(s => SimClusterFixture.NodeIdOf(s.Name) == "node-1");
        var store = fixture.Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<SnapshotStore>();
        var ofA = await CommitAsync(store, "snap-owned", "vm-snapaaaaaa", "snap-a", "state of a");
        var ofB = await CommitAsync(store, "snap-owned", "vm-snapbbbbbb", "snap-b", "state of b");
        var grain = Client.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore("node-1"));

        Assert.Equal([ofB.Id], (await AsAccount(Client, "snap-b", c => c.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore("node-1")).ListAsync(null))).Select(s => s.Id));
        Assert.Empty(await AsAccount(Client, "snap-b", c => c.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore("node-1")).ListAsync("vm-snapaaaaaa")));

        // B names A's snapshot by id: the answer for a snapshot the node does not hold; A's stays.
        var missing = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "snap-b", c => c.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore("node-1")).DeleteAsync("snap-nothing")));
        var refused = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(Client, "snap-b", c => c.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore("node-1")).DeleteAsync(ofA.Id)));
        Assert.Equal((ErrorKind.NotFound, missing.Message.Replace("snap-nothing", ofA.Id)), (refused.Kind, refused.Message));
        Assert.NotNull(store.Find(ofA.Id));

        // By the name both share, B deletes its own and only its own.
        Assert.Equal(ofB.Id, (await AsAccount(Client, "snap-b", c => c.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore("node-1")).DeleteAsync("snap-owned"))).Id);
        Assert.Equal([ofA.Id], (await grain.ListAsync(null)).Where(s => s.Name == "snap-owned").Select(s => s.Id));
        await grain.DeleteAsync(ofA.Id);
    }

    private static async Task<SnapshotInfo> CommitAsync(SnapshotStore store, string name, string vmId, string account, string state)
    {
        var draft = store.Begin();
        await File.WriteAllTextAsync(Path.Combine(draft.MachineDirectory, "state"), state, TestContext.Current.CancellationToken);
        var template = new SnapshotInfo("", name, vmId, "web", "node-1", "qemu", 1, 128, 1, null, DateTimeOffset.UtcNow, 0, 0, account);
        return await store.CommitAsync(draft, template, TestContext.Current.CancellationToken);
    }

    private static async Task<(VmInfo? Vm, FormationException? Error)> TryAsync(Task<VmInfo> create)
    {
        try
        {
            return (await create, null);
        }
        catch (FormationException ex)
        {
            return (null, ex);
        }
    }
}

using System.Diagnostics;
using Formation.Errors;
using Formation.Events;
using Formation.Grains.Images;
using Formation.Identity;
using Formation.Images;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Tests.Infrastructure;
using Formation.Silo.Tests.Processes;
using Formation.Vms;
using Orleans.Streams;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// Accounts on a real two-silo cluster (PostgreSQL, mutual TLS): an account made through the node that does not hold
/// the CA (signing is routed to the one that does) acts as itself on either silo; a member is refused admin commands;
/// a client that sends no proof, or forges a caller, is refused; a revoked credential is refused on the other silo
/// within seconds — and none of the refused requests changes anything.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AccountsClusterTests(PostgresServer postgres) : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 40 s: two silos, a dozen form runs
    public async Task Accounts_OnTwoSilos_MembersAdminProoflessAndRevokedCallers_AreTreatedAsThemselves_AndNothingChanges()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("accounts");
        await using var siloA = await SiloProcess.StartAsync(Options("acc-a", database));
        await using var siloB = await ClusterJoin.StartAsync(Options("acc-b", database), siloA);
        var admin = ClusterJoin.AdminCredential(siloA);

        // Made through silo B, which holds no CA key: the registry has silo A sign.
        var bob = await Accounts.CreateAsync(siloB.Gateway, admin, "bob", admin: false, _data.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bob));
        var whoami = await Accounts.FormAsync(bob, ["whoami", "--gateway", siloB.Gateway]);
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        Assert.Contains("bob (member)", whoami.Out);

        // form login makes it the user's default (copied 0600); whoami then finds it with no --credential.
        var home = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Combine(_data.Path, "home") };
        var login = await FormProcess.RunAsync(["login", "--credential", bob], home);
        Assert.True(login.ExitCode == 0, login.ToString());
        var copied = Path.Combine(_data.Path, "home", "formation", "credential");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copied));
        var byDefault = await FormProcess.RunAsync(["whoami", "--gateway", siloA.Gateway], home);
        Assert.True(byDefault.ExitCode == 0, byDefault.ToString());
        Assert.Contains("bob (member)", byDefault.Out);
        Assert.Contains("form login", byDefault.Out);

        // A member may not run admin commands, and nothing is made.
        var eve = await Accounts.FormAsync(bob, ["account", "create", "eve", "--out", Path.Combine(_data.Path, "eve.credential"), "--gateway", siloA.Gateway]);
        Assert.True(eve.ExitCode == 1, eve.ToString());
        Assert.Contains("is for admins", eve.Error);
        Assert.False(File.Exists(Path.Combine(_data.Path, "eve.credential")));
        await using var adminClient = await ClusterClient.ViaGatewayAsync(siloA.Options.GatewayPort, admin);
        var registry = adminClient.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster);
        Assert.Equal(["admin", "bob"], (await registry.ListAsync()).Select(a => a.Name));

        await using var bobClient = await ClusterClient.ViaGatewayAsync(siloB.Options.GatewayPort, bob);
        var bobCatalog = bobClient.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var denied = await Assert.ThrowsAsync<FormationException>(() => bobClient.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).ListAsync());
        Assert.Equal(ErrorKind.PermissionDenied, denied.Kind);
        Assert.Equal(new Caller("bob", false), await bobClient.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).WhoAmIAsync());
        await bobCatalog.CreateVmAsync(new VmSpec("bob-vm", 1, 64, 0, null, null));

        // A client on the cluster's TLS that sends no proof, or forges the caller, is refused before any grain runs.
        var catalog = adminClient.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var before = (await catalog.ListAsync()).Select(v => v.Name).Order().ToList();
        await using (var bare = await ClusterClient.ViaGatewayAsync(siloA.Options.GatewayPort, bob, proofs: false))
        {
            RequestContext.Set(CallerContext.Key, Caller.Admin);
            var refused = await Assert.ThrowsAsync<FormationException>(() =>
                bare.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec("sneaky", 1, 64, 0, null, null)));
            Assert.Equal(ErrorKind.Unauthenticated, refused.Kind);
            Assert.Contains("no proof", refused.Message);
            await Assert.ThrowsAsync<FormationException>(() => bare.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).ListAsync());
            RequestContext.Clear();
        }

        // Revoked through silo A; bob's open connection to silo B is refused within 5 s.
        var revoke = await FormProcess.RunAsync(["account", "revoke-key", "bob", "--gateway", siloA.Gateway, "--credential", admin]);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        var clock = Stopwatch.StartNew();
        FormationException? afterRevoke = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(5) && afterRevoke is null)
        {
            try
            {
                await bobCatalog.ListAsync();
                await Task.Delay(100);
            }
            catch (FormationException ex)
            {
                afterRevoke = ex;
            }
        }

        Assert.True(afterRevoke is { Kind: ErrorKind.Unauthenticated }, $"bob's revoked credential was still accepted after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("revoked", afterRevoke!.Message);
        var late = await Assert.ThrowsAsync<FormationException>(() => bobCatalog.CreateVmAsync(new VmSpec("after-revoke", 1, 64, 0, null, null)));
        Assert.Equal(ErrorKind.Unauthenticated, late.Kind);
        var viaForm = await Accounts.FormAsync(bob, ["vm", "list", "--gateway", siloA.Gateway]);
        Assert.True(viaForm.ExitCode == 1, viaForm.ToString());
        Assert.Contains("revoked", viaForm.Error);

        Assert.Equal(before, (await catalog.ListAsync()).Select(v => v.Name).Order().ToList());
        Assert.Contains("bob-vm", before);
        Assert.NotNull((await registry.GetAsync("bob")).Keys.Single().Revoked);
    }

    [Fact]
    [Trait("Category", "Slow")] // about 40 s: two silos, a dozen form runs
    public async Task Members_OnTwoTlsSilos_SeeAndChangeOnlyTheirOwn_QuotasHold_AndTheAuditTrailNamesThem()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("owners");
        await using var siloA = await SiloProcess.StartAsync(Options("own-a", database));
        await using var siloB = await ClusterJoin.StartAsync(Options("own-b", database), siloA);
        var admin = ClusterJoin.AdminCredential(siloA);
        var alice = await Accounts.CreateAsync(siloA.Gateway, admin, "alice", admin: false, _data.Path);
        var bob = await Accounts.CreateAsync(siloA.Gateway, admin, "bob", admin: false, _data.Path);
        Task<FormProcess.Result> As(string credential, SiloProcess silo, params string[] args) =>
            Accounts.FormAsync(credential, [.. args, "--gateway", silo.Gateway]);

        var created = await As(alice, siloA, "vm", "create", "--name", "web", "--vcpus", "1", "--memory", "64", "--disk", "0");
        Assert.True(created.ExitCode == 0, created.ToString());
        await using var adminClient = await ClusterClient.ViaGatewayAsync(siloA.Options.GatewayPort, admin);
        var catalog = adminClient.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var alicesWeb = (await catalog.ListAsync()).Single(v => v.Name == "web");
        var before = await adminClient.Client.GetGrain<IVmGrain>(GrainKeys.Vm(alicesWeb.NodeId, alicesWeb.Id)).GetAsync();

        // Bob, through the other silo: alice's VM is exactly as absent as a VM that does not exist, for every verb.
        var missing = await As(bob, siloB, "vm", "show", "no-such-vm");
        Assert.Equal(1, missing.ExitCode);
        foreach (var verb in new[] { "show", "stop", "pause", "delete", "logs" })
        {
            var attack = await As(bob, siloB, "vm", verb, "web");
            Assert.True(attack.ExitCode == missing.ExitCode, $"bob's vm {verb} web: {attack}");
            Assert.Equal(missing.Error.Replace("no-such-vm", "web"), attack.Error);
        }

        var byAccountName = await As(bob, siloB, "vm", "show", "alice/web");
        Assert.Equal(1, byAccountName.ExitCode);
        var bobsList = await As(bob, siloB, "vm", "list");
        Assert.True(bobsList.ExitCode == 0, bobsList.ToString());
        Assert.DoesNotContain("web", bobsList.Out);

        // Names are per account: bob's own "web" is another VM; alice's is unchanged.
        var bobsWeb = await As(bob, siloB, "vm", "create", "--name", "web", "--vcpus", "1", "--memory", "64", "--disk", "0");
        Assert.True(bobsWeb.ExitCode == 0, bobsWeb.ToString());
        var after = await adminClient.Client.GetGrain<IVmGrain>(GrainKeys.Vm(alicesWeb.NodeId, alicesWeb.Id)).GetAsync();
        Assert.Equal(before.State, after.State);
        Assert.Equal(before.UpdatedAt, after.UpdatedAt);
        Assert.Equal("alice", after.Account);
        var adminList = await Accounts.FormAsync(admin, ["vm", "list", "--gateway", siloA.Gateway]);
        Assert.True(adminList.ExitCode == 0, adminList.ToString());
        Assert.Contains("ACCOUNT", adminList.Out);
        Assert.Contains("alice", adminList.Out);
        Assert.Contains("bob", adminList.Out);

        // A quota with room for bob's one VM refuses the next create, and nothing is made.
        var quota = await Accounts.FormAsync(admin, ["quota", "set", "bob", "--vms", "1", "--gateway", siloA.Gateway]);
        Assert.True(quota.ExitCode == 0, quota.ToString());
        var overQuota = await As(bob, siloA, "vm", "create", "--name", "web-2", "--vcpus", "1", "--memory", "64", "--disk", "0");
        Assert.Equal(1, overQuota.ExitCode);
        Assert.Contains("would use 2 of 1", overQuota.Error);
        var ownQuota = await As(bob, siloB, "quota", "set", "bob", "--vms", "10");
        Assert.Equal(1, ownQuota.ExitCode);
        Assert.Equal(2, (await catalog.ListAsync()).Count);

        // The audit trail: a member may not read it; the admin sees who did what, refusals included.
        var bobsAudit = await As(bob, siloB, "audit");
        Assert.Equal(1, bobsAudit.ExitCode);
        Assert.Contains("for admins", bobsAudit.Error);
        await Eventually.HoldsAsync(() => Accounts.FormAsync(admin, ["audit", "--gateway", siloB.Gateway]),
            r => r.ExitCode == 0 && r.Out.Contains("alice") && r.Out.Contains("QuotaExceeded"), TimeSpan.FromSeconds(20),
            "alice's create and bob's refused create in the audit trail");
    }

    [Fact]
    [Trait("Category", "Slow")] // about 20 s: one cluster-mode silo, one form run
    public async Task NodeOnlyMethods_CalledByMemberOrAdminClients_AreRefused_AndNothingChanges()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("nodeonly");
        await using var silo = await SiloProcess.StartAsync(Options("no-a", database));
        var admin = ClusterJoin.AdminCredential(silo);
        var bob = await Accounts.CreateAsync(silo.Gateway, admin, "bob", admin: false, _data.Path);
        await using var adminClient = await ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, admin);
        await using var bobClient = await ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, bob);
        await using var nodeClient = await ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, admin, asNode: true);
        await KnownAsync(bobClient, "bob");
        var catalog = adminClient.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var scheduler = adminClient.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        var bobsVm = await bobClient.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec("bobs", 1, 64, 0, null, null));
        var node = await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Any(n => n.Info.NodeId == "no-a"), TimeSpan.FromSeconds(20), "the node registered");
        var vmBefore = await Eventually.HoldsAsync(() => adminClient.Client.GetGrain<IVmGrain>(GrainKeys.Vm(bobsVm.NodeId, bobsVm.Id)).GetAsync(),
            v => v.State == VmState.Running, TimeSpan.FromSeconds(20), "bob's VM running");
        var nodeBefore = node.Single(n => n.Info.NodeId == "no-a");

        foreach (var (who, client) in new[] { ("bob", bobClient), ("admin", adminClient) })
        {
            var sneakId = $"vm-sneak-{who}";
            var attacks = new (string What, Func<Task> Call)[]
            {
                ("IVmGrain.CreateAsync", () => client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("no-a", sneakId)).CreateAsync(new VmSpec("sneak", 1, 64, 0, null, null))),
                ("ISchedulerGrain.PlaceAsync", () => client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster)
                    .PlaceAsync(new PlacementRequest(sneakId, new NodeCapacity(1, 64, 0), null))),
                ("ISchedulerGrain.ReleaseAsync", () => client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ReleaseAsync(bobsVm.Id)),
                ("IVmGrain.ReportAsync", () => client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(bobsVm.NodeId, bobsVm.Id)).ReportAsync(new HostReport(VmState.Failed, "forged"))),
                ("ISchedulerGrain.HeartbeatAsync", () => client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).HeartbeatAsync("no-a")),
                ("INodeGrain.GetAsync", () => client.Client.GetGrain<INodeGrain>("no-a").GetAsync()),

                // The image record acts without asking whose it is, and a node store removes files whoever's they are.
                ("IImageRecordGrain.DeleteRecordAsync", () => client.Client.GetGrain<IImageRecordGrain>("bob/web:latest").DeleteRecordAsync()),
                ("IImageRecordGrain.StatusAsync", () => client.Client.GetGrain<IImageRecordGrain>("bob/web:latest").StatusAsync()),
                ("INodeImageStoreGrain.RemoveAsync", () => client.Client.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore("no-a"))
                    .RemoveAsync("bob:web:latest", "sha256:" + new string('0', 64), false)),

                // A digest is no permission: a node's files of an image are read only by nodes fetching it.
                ("INodeImageStoreGrain.GetManifestAsync", () => client.Client.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore("no-a"))
                    .GetManifestAsync("sha256:" + new string('0', 64))),
                ("INodeImageStoreGrain.ReadChunkAsync", () => client.Client.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore("no-a"))
                    .ReadChunkAsync("sha256:" + new string('0', 64), "rootfs.ext4", 0)),
            };
            foreach (var (what, call) in attacks)
            {
                var refused = await Assert.ThrowsAsync<FormationException>(call);
                Assert.True(refused.Kind == ErrorKind.PermissionDenied, $"{who}'s {what}: {refused.Kind} {refused.Message}");
                Assert.Contains(what, refused.Message);
                Assert.Contains("internal to the cluster's nodes", refused.Message);
            }

            var absent = await Assert.ThrowsAsync<FormationException>(() => adminClient.Client.GetGrain<IVmGrain>(GrainKeys.Vm("no-a", sneakId)).GetAsync());
            Assert.Equal(ErrorKind.NotFound, absent.Kind);
        }

        // Nothing changed: no VM, no reservation, bob's VM as it was; and the node's own proofs still pass the same filter.
        Assert.Equal([bobsVm.Id], (await catalog.ListAsync()).Select(v => v.Id));
        var vmAfter = await adminClient.Client.GetGrain<IVmGrain>(GrainKeys.Vm(bobsVm.NodeId, bobsVm.Id)).GetAsync();
        Assert.Equal((vmBefore.State, vmBefore.UpdatedAt), (vmAfter.State, vmAfter.UpdatedAt));
        var nodeAfter = (await scheduler.ListNodesAsync()).Single(n => n.Info.NodeId == "no-a");
        Assert.Equal((nodeBefore.Reserved, nodeBefore.VmCount), (nodeAfter.Reserved, nodeAfter.VmCount));
        Assert.Equal("no-a", (await nodeClient.Client.GetGrain<INodeGrain>("no-a").GetAsync())!.NodeId);
        var viaForm = await Accounts.FormAsync(bob, ["vm", "show", "bobs", "--gateway", silo.Gateway]);
        Assert.True(viaForm.ExitCode == 0, viaForm.ToString());
    }

    [Fact]
    [Trait("Category", "Slow")] // about 30 s: one cluster-mode silo, a few form runs
    public async Task EventStreams_AMemberFollowsOnlyItsOwnVms_TheClusterWideOnesAreForAdmins()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("streams");
        await using var silo = await SiloProcess.StartAsync(Options("ev-a", database));
        var admin = ClusterJoin.AdminCredential(silo);
        var alice = await Accounts.CreateAsync(silo.Gateway, admin, "alice", admin: false, _data.Path);
        var bob = await Accounts.CreateAsync(silo.Gateway, admin, "bob", admin: false, _data.Path);
        Task<FormProcess.Result> As(string credential, params string[] args) => Accounts.FormAsync(credential, [.. args, "--gateway", silo.Gateway]);
        foreach (var (who, name) in new[] { (alice, "web"), (bob, "mine") })
        {
            var made = await As(who, "vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--disk", "0");
            Assert.True(made.ExitCode == 0, made.ToString());
        }

        await using var adminClient = await ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, admin);
        await using var bobClient = await ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, bob);
        await KnownAsync(bobClient, "bob");
        var vms = await adminClient.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var web = vms.Single(v => v.Name == "web");
        var mine = vms.Single(v => v.Name == "mine");

        // Bob's own client: the cluster-wide streams are refused, alice's VM stream looks like a VM that does not exist,
        // and the streams' queues (where every account's events wait for delivery) answer only the silos.
        var bobStreams = bobClient.Client.GetStreamProvider(EventStreams.Provider);
        foreach (var stream in new[] { EventStreams.ForAllVms(), EventStreams.ForNodes(), EventStreams.ForAllBuilds() })
        {
            var refused = await Assert.ThrowsAsync<FormationException>(() => bobStreams.GetStream<object>(stream).SubscribeAsync((_, _) => Task.CompletedTask));
            Assert.True(refused.Kind == ErrorKind.PermissionDenied, $"{stream}: {refused.Kind} {refused.Message}");
            Assert.Contains("is for admins", refused.Message);
        }

        var hidden = await Assert.ThrowsAsync<FormationException>(() =>
            bobStreams.GetStream<VmEvent>(EventStreams.ForVm(web.Id)).SubscribeAsync((_, _) => Task.CompletedTask));
        Assert.Equal(ErrorKind.NotFound, hidden.Kind);
        var queue = await Assert.ThrowsAsync<FormationException>(() =>
            bobClient.Client.GetGrain<Orleans.Providers.IMemoryStreamQueueGrain>(Guid.NewGuid()).Dequeue(100));
        Assert.Equal(ErrorKind.PermissionDenied, queue.Kind);
        var own = await bobStreams.GetStream<VmEvent>(EventStreams.ForVm(mine.Id)).SubscribeAsync((_, _) => Task.CompletedTask);
        await own.UnsubscribeAsync();

        // Nor by command; the admin's client still follows everything.
        var byName = await As(bob, "vm", "events", "web", "--follow");
        Assert.True(byName.ExitCode == 1, byName.ToString());
        Assert.Contains("web", byName.Error);
        var adminSaw = new System.Collections.Concurrent.ConcurrentQueue<VmEvent>();
        var all = await adminClient.Client.GetStreamProvider(EventStreams.Provider).GetStream<VmEvent>(EventStreams.ForAllVms())
            .SubscribeAsync((e, _) => { adminSaw.Enqueue(e); return Task.CompletedTask; });

        // bob's `form vm events --follow` (no VM named) prints his VM's new events and none of alice's.
        using var follow = FormProcess.Start(["vm", "events", "--follow", "--json", "--credential", bob, "--gateway", silo.Gateway]);
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reading = Task.Run(async () =>
        {
            while (await follow.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Enqueue(line);
            }
        });
        try
        {
            await Eventually.TrueAsync(() => lines.Any(l => l.Contains(mine.Id, StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "bob's history printed");
            var printedBefore = lines.Count;
            var stopWeb = await As(alice, "vm", "stop", "web");
            Assert.True(stopWeb.ExitCode == 0, stopWeb.ToString());
            var stopMine = await As(bob, "vm", "stop", "mine");
            Assert.True(stopMine.ExitCode == 0, stopMine.ToString());
            await Eventually.TrueAsync(() => lines.Skip(printedBefore).Any(l => l.Contains(mine.Id, StringComparison.Ordinal) && l.Contains("stopped", StringComparison.OrdinalIgnoreCase)),
                TimeSpan.FromSeconds(30), "bob's follow printing his VM's stop");
            await Eventually.TrueAsync(() => adminSaw.Any(e => e.VmId == web.Id && e.To == VmState.Stopped), TimeSpan.FromSeconds(30), "the admin seeing alice's stop");
            Assert.DoesNotContain(lines, l => l.Contains(web.Id, StringComparison.Ordinal));
        }
        finally
        {
            follow.Kill();
            await follow.WaitForExitAsync();
            await reading;
            await all.UnsubscribeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Slow")] // about 30 s: one cluster-mode silo, a dozen form runs
    public async Task DeleteAccount_ThatOwnsVms_IsRefusedNamingThem_UnlessAnAdminDeletesItsResources_ThenItsCredentialIsRefused()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("acctdel");
        await using var silo = await SiloProcess.StartAsync(Options("del-a", database));
        var admin = ClusterJoin.AdminCredential(silo);
        var alice = await Accounts.CreateAsync(silo.Gateway, admin, "alice", admin: false, _data.Path);
        var bob = await Accounts.CreateAsync(silo.Gateway, admin, "bob", admin: false, _data.Path);
        Task<FormProcess.Result> As(string credential, params string[] args) => Accounts.FormAsync(credential, [.. args, "--gateway", silo.Gateway]);
        foreach (var (who, name) in new[] { (bob, "b1"), (bob, "b2"), (alice, "a1") })
        {
            var made = await As(who, "vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--disk", "0");
            Assert.True(made.ExitCode == 0, made.ToString());
        }

        await using var adminClient = await ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, admin);
        var registry = adminClient.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster);
        var catalog = adminClient.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        async Task<List<string>> VmsAsync() => [.. (await catalog.ListAsync()).Select(v => $"{v.Account}/{v.Name}").Order()];

        // Refused by default, naming what bob still owns and what to do; bob, his VMs and his credential stay.
        var refused = await As(admin, "account", "delete", "bob");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("still owns 2 VMs", refused.Error);
        Assert.Contains("--delete-resources", refused.Error);
        Assert.Equal(["alice/a1", "bob/b1", "bob/b2"], await VmsAsync());
        Assert.Equal("bob", (await registry.GetAsync("bob")).Name);
        var stillBob = await As(bob, "vm", "list");
        Assert.True(stillBob.ExitCode == 0, stillBob.ToString());

        // A member may not force it (not even deleting bob's resources first, which alice cannot see anyway).
        var byMember = await As(alice, "account", "delete", "bob", "--delete-resources");
        Assert.True(byMember.ExitCode == 1, byMember.ToString());
        Assert.Contains("is for admins", byMember.Error);
        Assert.Equal(["alice/a1", "bob/b1", "bob/b2"], await VmsAsync());

        // An admin's --delete-resources deletes bob's VMs, then bob; alice's VM stays; bob's credential is refused.
        var forced = await As(admin, "account", "delete", "bob", "--delete-resources");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Contains("Deleted VM b1", forced.Out);
        Assert.Equal(["alice/a1"], await VmsAsync());
        var gone = await Assert.ThrowsAsync<FormationException>(() => registry.GetAsync("bob"));
        Assert.Equal(ErrorKind.NotFound, gone.Kind);
        var afterDelete = await Eventually.HoldsAsync(() => As(bob, "vm", "list"), r => r.ExitCode != 0, TimeSpan.FromSeconds(10), "bob's credential refused");
        Assert.Contains("bob", afterDelete.Error);
        var noSuch = await As(admin, "account", "delete", "bob", "--delete-resources");
        Assert.True(noSuch.ExitCode == 1, noSuch.ToString());
        Assert.Contains("no account named 'bob'", noSuch.Error);
    }

    /// <summary>Waits until the silo's copy of the accounts (refreshed every second) knows a just-made account.</summary>
    private static Task KnownAsync(ClusterClient client, string account) =>
        Eventually.HoldsAsync(async () =>
        {
            try
            {
                return (await client.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).WhoAmIAsync()).Account;
            }
            catch (FormationException)
            {
                return null;
            }
        }, a => a == account, TimeSpan.FromSeconds(10), $"account {account} known to the silo");

    public void Dispose() => _data.Dispose();

    private SiloProcessOptions Options(string nodeId, string database) =>
        new(nodeId, Path.Combine(_data.Path, nodeId)) { Mode = "cluster", Postgres = database };
}

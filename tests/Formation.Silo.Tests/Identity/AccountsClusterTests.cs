using System.Diagnostics;
using Formation.Errors;
using Formation.Identity;
using Formation.Silo.Tests.Infrastructure;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

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

    public void Dispose() => _data.Dispose();

    private SiloProcessOptions Options(string nodeId, string database) =>
        new(nodeId, Path.Combine(_data.Path, nodeId)) { Mode = "cluster", Postgres = database };
}

using Formation.Errors;
using Formation.Identity;
using Formation.Silo.Identity;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// Embedded mode is zero-setup for root and closed to everyone else: the first start makes the CA, the node certificate
/// and DATA/identity/admin.credential (0600, reused on restart); a client with no credential, another CA's, or the
/// right TLS but no proof is refused before any grain runs, and nothing changes.
/// </summary>
public sealed class EmbeddedIdentityTests : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 20 s: one silo, started twice
    public async Task EmbeddedSilo_MakesItsIdentityOnce_AndRefusesClientsWithoutIt()
    {
        var options = new SiloProcessOptions("solo-id", Path.Combine(_data.Path, "solo"));
        var identity = Path.Combine(options.DataDirectory, "identity");
        string adminBefore;
        await using (var silo = await SiloProcess.StartAsync(options))
        {
            Assert.Contains("made this host's CA", silo.Output);
            foreach (var secret in new[] { "admin.credential", "ca.key", "node.credential" })
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(identity, secret)));
            }

            adminBefore = await File.ReadAllTextAsync(Path.Combine(identity, "admin.credential"), TestContext.Current.CancellationToken);
            await silo.StopAsync();
        }

        await using var again = await SiloProcess.StartAsync(options with { });
        Assert.DoesNotContain("made this host's CA", again.Output);
        Assert.Equal(adminBefore, await File.ReadAllTextAsync(Path.Combine(identity, "admin.credential"), TestContext.Current.CancellationToken));

        await using var root = await ClusterClient.ViaGatewayAsync(options.GatewayPort);
        var catalog = root.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        Assert.Equal(Caller.Admin, await root.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).WhoAmIAsync());
        var before = await catalog.ListAsync();

        // No credential: refused in the TLS handshake. Another CA's: the same.
        await Assert.ThrowsAnyAsync<Exception>(() => ClusterClient.ViaGatewayAsync(options.GatewayPort, anonymous: true, timeout: TimeSpan.FromSeconds(5)));
        using var other = ClusterAuthority.Create("formation", DateTimeOffset.UtcNow);
        using var stranger = other.IssueCredential(Caller.AdminAccount, ClusterAuthority.ClientUnit, [], DateTimeOffset.UtcNow);
        var strangerFile = Path.Combine(_data.Path, "stranger.credential");
        stranger.Write(strangerFile);
        await Assert.ThrowsAnyAsync<Exception>(() => ClusterClient.ViaGatewayAsync(options.GatewayPort, strangerFile, TimeSpan.FromSeconds(5)));

        // The right TLS credential but no proof on the call: refused by the identity filter.
        await using (var bare = await ClusterClient.ViaGatewayAsync(options.GatewayPort, proofs: false))
        {
            var refused = await Assert.ThrowsAsync<FormationException>(() =>
                bare.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec("sneaky", 1, 64, 0, null, null)));
            Assert.Equal(ErrorKind.Unauthenticated, refused.Kind);
        }

        // form with no credential (a local user who cannot read the admin credential) gets no answer and a hint.
        var home = Path.Combine(_data.Path, "home");
        var anonymousForm = await FormProcess.RunAsync(["vm", "create", "--name", "intruder", "--vcpus", "1", "--memory", "64", "--disk", "0", "--gateway", again.Gateway],
            new Dictionary<string, string> { ["FORMATION_CREDENTIAL"] = "", ["FORM_LOCAL_API"] = "0", ["XDG_CONFIG_HOME"] = home });
        if (!File.Exists(CredentialPaths.AdminIn("/var/lib/formation")))
        {
            Assert.True(anonymousForm.ExitCode == 2, anonymousForm.ToString());
            Assert.Contains("--credential FILE", anonymousForm.Error);
        }

        Assert.Equal(before.Select(v => v.Id).Order(), (await catalog.ListAsync()).Select(v => v.Id).Order());
    }

    public void Dispose() => _data.Dispose();
}

using Formation.Cli;
using Formation.Identity;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Identity;
using Formation.Silo.Tests.Infrastructure;
using Formation.Silo.Tests.Processes;
using Formation.Vms;
using Npgsql;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// Cluster identity against real silo processes on a real PostgreSQL, TLS on: the first node makes the CA; a node joins
/// only with an unused, unexpired token for this cluster; clients without a certificate from the cluster's CA are
/// refused before any grain runs, and nothing changes.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterIdentityTests(PostgresServer postgres) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 40 s: two silos that form a cluster, four that are refused, clients refused
    public async Task TwoSilosOnTls_TokensAdmitOneNodeOnce_ClientsWithoutTheClusterCaAreRefused_AndNothingChanges()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("identity");
        await using var siloA = await SiloProcess.StartAsync(Options("id-a", database));
        Assert.Contains("made the cluster CA", siloA.Output);
        var admin = ClusterJoin.AdminCredential(siloA);
        var identity = Path.Combine(siloA.Options.DataDirectory, "identity");
        foreach (var secret in new[] { admin, Path.Combine(identity, "ca.key"), Path.Combine(identity, "node.credential") })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        }

        var token = await ClusterJoin.TokenAsync(siloA);
        var joinAddress = $"127.0.0.1:{siloA.Options.JoinPort}";

        // A token naming another CA: the new node refuses the CA holder before it sends the secret, so the token stays good.
        var otherPin = token[..token.LastIndexOf('.')] + "." + new string('0', 64);
        var misled = await RefusedAsync(Options("id-c", database) with { JoinToken = otherPin, JoinAddress = joinAddress });
        Assert.Contains("belongs to another cluster", misled);

        await using var siloB = await SiloProcess.StartAsync(Options("id-b", database) with { JoinToken = token, JoinAddress = joinAddress });
        Assert.Contains("joined through", siloB.Output);

        var used = await RefusedAsync(Options("id-c", database) with { JoinToken = token, JoinAddress = joinAddress });
        Assert.Contains("already used by node 'id-b'", used);
        Assert.False(File.Exists(Path.Combine(_data.Path, "id-c", "identity", "node.credential")));

        // An expired token: its hour is made to have passed in the cluster's database.
        var stale = await ClusterJoin.TokenAsync(siloA);
        Assert.True(JoinToken.TryParse(stale, out var staleToken, out _));
        await ExpireAsync(database, staleToken.Hash);
        var expired = await RefusedAsync(Options("id-d", database) with { JoinToken = stale }); // join address from the database
        Assert.Contains("expired", expired);

        var rival = await RefusedAsync(Options("id-e", database));
        Assert.Contains("already has a CA", rival);

        await using (var client = await ClusterClient.ViaPostgresAsync(database, admin))
        {
            var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
            var nodes = await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Count(n => n.Health == NodeHealth.Healthy) == 2, Timeout, "both nodes healthy");
            Assert.Equal(["id-a", "id-b"], nodes.Select(n => n.NodeId).Order());
            var catalog = client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
            foreach (var node in new[] { "id-a", "id-b" })
            {
                var vm = await catalog.CreateVmAsync(new VmSpec($"tls-on-{node}", 1, 128, 1, null, node));
                Assert.Equal(node, vm.NodeId);
                await Eventually.HoldsAsync(() => client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetAsync(),
                    v => v.State == VmState.Running, Timeout, $"VM on {node} running");
            }
        }

        var before = await ListAsync(database, admin);
        using var other = ClusterAuthority.Create("formation", DateTimeOffset.UtcNow);
        using var stranger = other.IssueCredential("admin", ClusterAuthority.ClientUnit, [], DateTimeOffset.UtcNow);
        var strangerFile = _data.File("stranger.credential");
        stranger.Write(strangerFile);
        using (var readable = ClusterCredential.Load(strangerFile))
        using (var ours = ClusterCredential.Load(admin))
        {
            // A well-formed credential, only from another CA.
            Assert.False(ours.Trusts(readable.Certificate));
            Assert.True(readable.Trusts(readable.Certificate));
        }

        foreach (var silo in new[] { siloA, siloB })
        {
            // The same gateway admits the admin credential: what fails below is the credential, not the address.
            await using (await ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, admin, TimeSpan.FromSeconds(20)))
            {
            }

            var none = await Assert.ThrowsAnyAsync<Exception>(() => ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, null, TimeSpan.FromSeconds(5)));
            var foreign = await Assert.ThrowsAnyAsync<Exception>(() => ClusterClient.ViaGatewayAsync(silo.Options.GatewayPort, strangerFile, TimeSpan.FromSeconds(5)));
            Assert.All([none, foreign], ex => Assert.IsNotType<CredentialException>(ex));
        }

        var intruder = await FormProcess.RunAsync(
            ["vm", "create", "--name", "intruder", "--vcpus", "1", "--memory", "64", "--disk", "0", "--gateway", siloA.Gateway, "--credential", strangerFile],
            new Dictionary<string, string> { ["FORM_LOCAL_API"] = "0" });
        Assert.True(intruder.ExitCode == ExitCodes.NoSilo, intruder.ToString());
        Assert.Contains("a cluster with another CA refuses it", intruder.Error);

        var after = await ListAsync(database, admin);
        Assert.Equal(before, after);
        Assert.DoesNotContain("intruder", after);
        Assert.Contains(siloA.Output.Split('\n'), l => l.Contains("is up") && l.Contains("mutual TLS, join endpoint"));
    }

    private async Task<string> RefusedAsync(SiloProcessOptions options)
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(options));
        Assert.Contains("exited with 1", refused.Message);
        return refused.Message;
    }

    private static async Task<string[]> ListAsync(string database, string credential)
    {
        await using var client = await ClusterClient.ViaPostgresAsync(database, credential);
        var list = await client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
        return [.. list.Select(v => $"{v.Name}:{v.State}").Order()];
    }

    private static async Task ExpireAsync(string database, string hash)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE formation_join_tokens SET expires_ms = 0 WHERE token_hash = @hash", connection);
        command.Parameters.AddWithValue("hash", hash);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private SiloProcessOptions Options(string nodeId, string database) =>
        new(nodeId, Path.Combine(_data.Path, nodeId)) { Mode = "cluster", Postgres = database };

    public void Dispose() => _data.Dispose();
}

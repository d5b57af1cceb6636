using System.Diagnostics;
using System.Net.Sockets;
using Formation.Errors;
using Formation.Identity;
using Formation.LocalApi;
using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// <c>form node revoke NODE</c> on a real silo process: the silo reports its node certificate at start; a member may not
/// revoke it and an unknown node is NotFound, nothing changed; once an admin revokes it, the node's own proofs (what it
/// sends on behalf of the local API's caller) are refused within five seconds, and the node list says it is revoked.
/// </summary>
public sealed class NodeRevokeTests : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 30 s: one silo process and a few form processes
    public async Task RevokedNode_IsRefusedWithinFiveSeconds_OnlyAnAdminMayRevoke()
    {
        var options = new SiloProcessOptions("revoke-node", Path.Combine(_data.Path, "silo"));
        await using var silo = await SiloProcess.StartAsync(options);
        var adminCredential = SiloProcess.AdminCredentialFor(options.GatewayPort)!;
        await using var admin = await ClusterClient.ViaGatewayAsync(options.GatewayPort);
        var registry = admin.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster);
        using var node = ClusterCredential.Load(Path.Combine(options.DataDirectory, "identity", "node.credential"));

        var recorded = (await Eventually.HoldsAsync(async () => (await registry.ListNodeKeysAsync()).SingleOrDefault(k => k.NodeId == "revoke-node"),
            k => k is not null, TimeSpan.FromSeconds(20), "the silo reported its node certificate"))!;
        Assert.Equal(node.Certificate.SerialNumber, recorded.Serial, StringComparer.OrdinalIgnoreCase);
        Assert.Null(recorded.Revoked);

        // A member may not revoke a node; an unknown node is not found; nothing changed either way.
        var member = await Accounts.CreateAsync(silo.Gateway, adminCredential, "mallory", admin: false, _data.Path);
        await using (var mallory = await ClusterClient.ViaGatewayAsync(options.GatewayPort, member))
        {
            await KnownAsync(mallory);
            var denied = await Assert.ThrowsAsync<FormationException>(() =>
                mallory.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).RevokeNodeAsync("revoke-node"));
            Assert.True(denied.Kind == ErrorKind.PermissionDenied, denied.Message);
            var forged = await Assert.ThrowsAsync<FormationException>(() =>
                mallory.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).RecordNodeKeyAsync(new NodeKey("revoke-node", "0A0B", DateTimeOffset.UtcNow.AddDays(1))));
            Assert.True(forged.Kind == ErrorKind.PermissionDenied, forged.Message);
        }

        Assert.Equal(ErrorKind.NotFound, (await Assert.ThrowsAsync<FormationException>(() => registry.RevokeNodeAsync("no-such-node"))).Kind);
        Assert.Equal([recorded], await registry.ListNodeKeysAsync());
        Assert.NotNull((await LocalNodesAsync(options.GatewayPort)).Nodes);

        var run = await FormProcess.RunAsync(["node", "revoke", "revoke-node", "--gateway", silo.Gateway, "--credential", adminCredential]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(recorded.Serial, run.Out);
        var clock = Stopwatch.StartNew();

        // The node's own proofs are refused: the local API acts through them.
        LocalApiReply? refused = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                await LocalNodesAsync(options.GatewayPort);
            }
            catch (FormationException ex) when (ex.Kind == ErrorKind.Unauthenticated)
            {
                Assert.Contains("revoked", ex.Message);
                refused = new LocalApiReply(Error: new LocalApiError(ex.Kind, ex.Message));
                break;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.NotNull(refused);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the revoked node was still accepted after {clock.Elapsed.TotalSeconds:0.0} s");
        var after = Assert.Single(await registry.ListNodeKeysAsync());
        Assert.NotNull(after.Revoked);
        Assert.Empty(await registry.RevokeNodeAsync("revoke-node")); // revoked already

        // What `form node list` shows (its reads through the admin's own client).
        var nodes = await new GrainReads(admin.Client).ListNodesAsync(CancellationToken.None);
        Assert.Equal(after.Revoked, Assert.Single(nodes, n => n.NodeId == "revoke-node").Revoked);
    }

    public void Dispose() => _data.Dispose();

    /// <summary>Waits until the silo's copy of the accounts (refreshed every second) knows the client's new account.</summary>
    private static async Task KnownAsync(ClusterClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                await client.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).WhoAmIAsync();
                return;
            }
            catch (FormationException ex) when (ex.Kind == ErrorKind.Unauthenticated && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<LocalApiReply> LocalNodesAsync(int gatewayPort)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(LocalApiPaths.Socket(gatewayPort)));
        await using var stream = new NetworkStream(socket);
        await LocalApiProtocol.WriteRequestAsync(stream, new LocalApiRequest(LocalApiProtocol.Nodes), CancellationToken.None);
        return await LocalApiProtocol.ReadReplyAsync(stream, CancellationToken.None);
    }
}

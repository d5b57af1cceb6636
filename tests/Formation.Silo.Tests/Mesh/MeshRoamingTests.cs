using System.Diagnostics;
using Formation.Networking;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Network;
using Formation.Silo.Tests.Infrastructure;
using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// A host whose underlay address changes under a running mesh (DHCP, a moved machine): the other side re-learns it from
/// the moved host's own packets (WireGuard roaming) — the moved host's agent sees its addresses change and sends through
/// the tunnel at once rather than at its next keepalive (up to 25 s) — and the mesh agent keeps the roamed endpoint
/// instead of putting back the stale one of the node record.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MeshRoamingTests(PostgresServer postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    [Trait("Category", "Slow")] // about 60-90 s: two silo processes in namespaces on PostgreSQL, then up to 30 s of roaming
    public async Task AHostsUnderlayAddressChanges_TheOtherHostReLearnsItWithin30s_AndTrafficFlowsAgain()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("roam");
        await using var lab = await MeshLab.CreateAsync();
        await lab.AddHostAsync(1);
        await lab.AddHostAsync(2);
        await lab.StartSiloAsync(1, postgres, database);
        var silo2 = await lab.StartSiloAsync(2, postgres, database);
        await using var client = await ClusterClient.ViaPostgresAsync(database, lab.AdminCredential);
        var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        Task<NodeMesh> MeshOf(int host) => lab.MeshOfAsync(scheduler, host, Timeout);
        var (mesh1, mesh2) = (await MeshOf(1), await MeshOf(2));
        var wg1 = MeshAgent.InterfaceNameFor(lab.NodeId(1));
        await Eventually.HoldsAsync(() => lab.PeersAsync(1, wg1), p => p.Contains(mesh2.PublicKey), Timeout, "host 1 peers with host 2");
        await Eventually.HoldsAsync(() => lab.PeersAsync(2, MeshAgent.InterfaceNameFor(lab.NodeId(2))), p => p.Contains(mesh1.PublicKey), Timeout, "host 2 peers with host 1");
        var subnet1 = Ipv4Subnet.Parse(mesh1.Subnet);
        var subnet2 = Ipv4Subnet.Parse(mesh2.Subnet);
        var a2 = await lab.SimVmAddressAsync(database, lab.AdminCredential, "g2", 2); // stand-ins of one account's VMs: the overlay guard lets them meet
        var g1 = await lab.AddGuestAsync(1, "g1", await lab.SimVmAddressAsync(database, lab.AdminCredential, "g1", 1), subnet1.Gateway.ToString(), subnet1.PrefixLength);
        await lab.AddGuestAsync(2, "g2", a2, subnet2.Gateway.ToString(), subnet2.PrefixLength);
        Assert.True(await Eventually.HoldsAsync(() => lab.PingAsync(g1, a2), ok => ok, Timeout, "guest 1 pings guest 2 before the move"));
        Assert.Equal($"{lab.UnderlayAddress(12)}:51820", await EndpointAsync(lab, wg1, mesh2.PublicKey));

        // Host 2 moves to another underlay address, as a DHCP renumbering does: the old address goes, the new one comes,
        // so nothing reaches it at the old one any more. (In this order: a second address of the same subnet added first
        // would be a secondary, which the kernel deletes together with the primary unless promote_secondaries is set.)
        var moved = lab.UnderlayAddress(42);
        await lab.InAsync(lab.HostNamespace(2), "ip", "addr", "del", $"{lab.UnderlayAddress(12)}/24", "dev", "ul0");
        await lab.InAsync(lab.HostNamespace(2), "ip", "addr", "add", $"{moved}/24", "dev", "ul0");
        var clock = Stopwatch.StartNew();

        // Nothing else sends to host 1: host 2's own nudge from its new address is what teaches host 1.
        await Eventually.HoldsAsync(() => EndpointAsync(lab, wg1, mesh2.PublicKey), e => e == $"{moved}:51820",
            TimeSpan.FromSeconds(30) - clock.Elapsed, "host 1 re-learns host 2's new underlay address");
        var relearned = clock.Elapsed;
        Assert.Contains("this host's addresses changed", silo2.Output);
        TestContext.Current.SendDiagnosticMessage($"host 1 re-learned host 2's endpoint {relearned.TotalSeconds:0.0} s after the move");
        Assert.True(relearned < TimeSpan.FromSeconds(10), $"host 1 re-learned host 2's endpoint only after {relearned.TotalSeconds:0.0} s: the keepalive did, not the nudge");
        Assert.True(await Eventually.HoldsAsync(() => lab.PingAsync(g1, a2), ok => ok, TimeSpan.FromSeconds(30) - clock.Elapsed, "guest 1 pings guest 2 after the move"));

        // The mesh agent's next syncs keep the learned endpoint (the node record still names the old address).
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal($"{moved}:51820", await EndpointAsync(lab, wg1, mesh2.PublicKey));
    }

    private static async Task<string?> EndpointAsync(MeshLab lab, string wg, string publicKey)
    {
        // "KEY\tHOST:PORT" per peer
        var lines = await lab.InAsync(lab.HostNamespace(1), "wg", "show", wg, "endpoints");
        return lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).FirstOrDefault(f => f[0] == publicKey)?[1].Trim();
    }
}

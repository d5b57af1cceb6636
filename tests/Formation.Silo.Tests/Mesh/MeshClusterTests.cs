using System.Diagnostics;
using Formation.Networking;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Network;
using Formation.Silo.Tests.Infrastructure;
using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// The WireGuard mesh for real: three hosts simulated as network namespaces, each with its own silo (cluster mode on
/// PostgreSQL), bridge and wireguard-go interface. Guests are namespaces on the hosts' VM bridges.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MeshClusterTests(PostgresServer postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    [Trait("Category", "Slow")] // about 60-90 s: three silo processes in namespaces on PostgreSQL
    public async Task ThreeHosts_FormAMesh_GuestsReachEachOtherAndTheOutside_TrafficSurvivesAKilledSilo_ALeftNodeIsRemoved()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("mesh");
        await using var lab = await MeshLab.CreateAsync();
        foreach (var host in new[] { 1, 2, 3 })
        {
            await lab.AddHostAsync(host);
        }

        var outside = await lab.AddOutsideAsync();
        var silos = new[] { await lab.StartSiloAsync(1, postgres, database), await lab.StartSiloAsync(2, postgres, database) };
        await using var client = await ClusterClient.ViaPostgresAsync(database, lab.AdminCredential);
        var scheduler = client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        string Wg(int host) => MeshAgent.InterfaceNameFor(lab.NodeId(host));
        Task<NodeMesh> MeshOf(int host) => lab.MeshOfAsync(scheduler, host, Timeout);

        var mesh1 = await MeshOf(1);
        var mesh2 = await MeshOf(2);
        Assert.Equal($"{lab.UnderlayAddress(11)}:51820", mesh1.Endpoint);
        Assert.NotEqual(mesh1.Subnet, mesh2.Subnet);
        await Eventually.HoldsAsync(() => lab.PeersAsync(1, Wg(1)), p => p.SequenceEqual([mesh2.PublicKey]), Timeout, "host 1 has host 2 as its peer");
        await Eventually.HoldsAsync(() => lab.PeersAsync(2, Wg(2)), p => p.SequenceEqual([mesh1.PublicKey]), Timeout, "host 2 has host 1 as its peer");
        var key = Path.Combine(lab.DataDirectory(1), "mesh", "private.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.DoesNotContain(File.ReadAllText(key).Trim(), silos[0].Output, StringComparison.Ordinal);

        // A node that joins is a peer of every other node within 5 s of publishing its identity. Host 3 serves no DNS: its
        // overlay guard follows the VMs' owners all the same (bee's guests below reach each other through it).
        await lab.StartSiloAsync(3, postgres, database, environment: new Dictionary<string, string> { ["Formation__Dns__Enabled"] = "false" });
        var mesh3 = await MeshOf(3);
        var published = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => lab.PeersAsync(1, Wg(1)), p => p.Contains(mesh3.PublicKey), TimeSpan.FromSeconds(5), "host 1 peers with host 3");
        await Eventually.HoldsAsync(() => lab.PeersAsync(2, Wg(2)), p => p.Contains(mesh3.PublicKey), TimeSpan.FromSeconds(5) - published.Elapsed, "host 2 peers with host 3");
        await Eventually.HoldsAsync(() => lab.PeersAsync(3, Wg(3)), p => p.Count == 2, TimeSpan.FromSeconds(5), "host 3 peers with hosts 1 and 2");

        // Guests on hosts 2 and 3 reach each other by address through the overlay (ICMP and TCP). Each stands in for a
        // (simulated) VM of the admin account and holds its address: the overlay guard lets only VMs of one account meet.
        var subnet2 = Ipv4Subnet.Parse(mesh2.Subnet);
        var subnet3 = Ipv4Subnet.Parse(mesh3.Subnet);
        var a2 = await lab.SimVmAddressAsync(database, lab.AdminCredential, "g2", 2);
        var a3 = await lab.SimVmAddressAsync(database, lab.AdminCredential, "g3", 3);
        var g2 = await lab.AddGuestAsync(2, "g2", a2, subnet2.Gateway.ToString(), subnet2.PrefixLength);
        var g3 = await lab.AddGuestAsync(3, "g3", a3, subnet3.Gateway.ToString(), subnet3.PrefixLength);
        lab.ServeHttp(g3, "hello from the guest on host 3");
        Assert.True(await Eventually.HoldsAsync(() => lab.PingAsync(g2, a3), ok => ok, Timeout, "guest 2 pings guest 3"));
        var page = await Eventually.HoldsAsync(() => lab.FetchAsync(g2, $"http://{a3}:8080/"), b => b is not null, Timeout, "guest 2 fetches guest 3's page");
        Assert.Equal("hello from the guest on host 3", page);

        // Accounts stay apart across nodes: a VM of account bee on host 2 reaches bee's VM on host 3 (so host 3 knows
        // its account), but not the admin's guest there; nor does an address on host 2 that no VM holds.
        var beeCredential = lab.ConfigPath("bee-credential");
        var bee = await lab.FormAsync(database, "account", "create", "bee", "--out", beeCredential);
        Assert.True(bee.ExitCode == 0, bee.Output);
        var b2 = await lab.AddGuestAsync(2, "b2", await lab.SimVmAddressAsync(database, beeCredential, "b2", 2), subnet2.Gateway.ToString(), subnet2.PrefixLength);
        var b3Address = await lab.SimVmAddressAsync(database, beeCredential, "b3", 3);
        var b3 = await lab.AddGuestAsync(3, "b3", b3Address, subnet3.Gateway.ToString(), subnet3.PrefixLength);
        lab.ServeHttp(b3, "hello from bee's guest on host 3");
        Assert.Equal("hello from bee's guest on host 3",
            await Eventually.HoldsAsync(() => lab.FetchAsync(b2, $"http://{b3Address}:8080/"), b => b is not null, Timeout, "bee's guest 2 fetches bee's guest 3's page"));
        Assert.DoesNotContain("DNS: serving zone", lab.Silo(3).Output, StringComparison.Ordinal);
        Assert.Null(await lab.FetchAsync(b2, $"http://{a3}:8080/"));
        Assert.False(await lab.PingAsync(b2, a3));
        var stray = await lab.AddGuestAsync(2, "s2", subnet2.VmAddress(250).ToString(), subnet2.Gateway.ToString(), subnet2.PrefixLength);
        Assert.False(await lab.PingAsync(stray, a3));
        Assert.True(await lab.PingAsync(g2, a3));

        // A deleted VM's address leaves host 3's table within seconds of the delete (the stand-in still answers there).
        var guardTable = new OverlayGuard(new Formation.Silo.Platform.NodeIdentity(lab.NodeId(3))).Table;
        Assert.Contains(b3Address, await lab.InAsync(lab.HostNamespace(3), "nft", "list", "table", "inet", guardTable), StringComparison.Ordinal);
        var delete = await lab.FormAsAsync(beeCredential, database, "vm", "delete", "b3");
        Assert.True(delete.ExitCode == 0, delete.Output);
        var deleted = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => lab.InAsync(lab.HostNamespace(3), "nft", "list", "table", "inet", guardTable),
            t => !t.Contains(b3Address, StringComparison.Ordinal), TimeSpan.FromSeconds(10), "host 3's overlay guard forgets the deleted VM");
        TestContext.Current.TestOutputHelper?.WriteLine($"overlay guard of host 3 dropped the deleted VM's address {deleted.ElapsedMilliseconds} ms after `form vm delete` returned");
        Assert.False(await lab.PingAsync(b2, b3Address));

        // Egress: the outside has no route to the overlay, so only NAT on host 2 gets the answer back.
        lab.ServeHttp(outside, "the outside world");
        var routes = await lab.InAsync(outside, "ip", "-4", "route", "show");
        Assert.DoesNotContain("10.77.", routes, StringComparison.Ordinal);
        var outsidePage = await Eventually.HoldsAsync(() => lab.FetchAsync(g2, $"http://{lab.UnderlayAddress(250)}:8080/"), b => b is not null, Timeout, "guest 2 reaches the outside");
        Assert.Equal("the outside world", outsidePage);

        // A user device joins through `form net join`; its wg-quick config, brought up with wireguard-go in another
        // namespace, reaches the guest on host 3. `form net leave` removes it from every node within 5 s.
        var device = await lab.AddUnderlayNamespaceAsync("dev", 200);
        var config = lab.ConfigPath("d");
        var join = await lab.FormAsync(database, "net", "join", "--name", "laptop", "--out", config);
        Assert.True(join.ExitCode == 0, join.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        var again = await lab.FormAsync(database, "net", "join", "--name", "laptop");
        Assert.True(again.ExitCode == 1 && again.Output.Contains("already in the mesh", StringComparison.Ordinal), again.Output);
        var laptop = (await client.Client.GetGrain<INetDevicesGrain>(GrainKeys.Cluster).ListAsync()).Single();
        Assert.True(NetworkPlan.Devices.Contains(System.Net.IPAddress.Parse(laptop.Address)));
        await Eventually.HoldsAsync(() => lab.PeersAsync(3, Wg(3)), p => p.Contains(laptop.PublicKey), TimeSpan.FromSeconds(5), "host 3 peers with the device");
        await lab.WgQuickUpAsync(device, config);
        var fromDevice = await Eventually.HoldsAsync(() => lab.FetchAsync(device, $"http://{a3}:8080/"), b => b is not null, Timeout, "the device fetches guest 3's page");
        Assert.Equal("hello from the guest on host 3", fromDevice);
        var peersTable = await lab.FormAsync(database, "net", "peers");
        Assert.True(peersTable.ExitCode == 0 && peersTable.Output.Contains("laptop", StringComparison.Ordinal) &&
            peersTable.Output.Contains(mesh3.Subnet, StringComparison.Ordinal), peersTable.Output);
        var leave = await lab.FormAsync(database, "net", "leave", "laptop");
        Assert.True(leave.ExitCode == 0, leave.Output);
        var left = Stopwatch.StartNew();
        foreach (var host in new[] { 1, 2, 3 })
        {
            await Eventually.HoldsAsync(() => lab.PeersAsync(host, Wg(host)), p => !p.Contains(laptop.PublicKey),
                TimeSpan.FromSeconds(5) - left.Elapsed, $"host {host} drops the device");
        }

        // A neighbour on the underlay that routes host 3's VM subnet through host 3 reaches none of its guests: from the
        // underlay only replies to the guests' own connections and published ports enter a bridge.
        await lab.InAsync(outside, "ip", "route", "add", mesh3.Subnet, "via", lab.UnderlayAddress(13));
        Assert.False(await lab.PingAsync(outside, a3));
        Assert.Null(await lab.FetchAsync(outside, $"http://{a3}:8080/"));

        // Host 3 leaves cleanly: its peer is gone from hosts 1 and 2 within 5 s.
        await lab.Silo(3).StopAsync();
        var gone = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => lab.PeersAsync(1, Wg(1)), p => !p.Contains(mesh3.PublicKey), TimeSpan.FromSeconds(5), "host 1 drops host 3");
        await Eventually.HoldsAsync(() => lab.PeersAsync(2, Wg(2)), p => !p.Contains(mesh3.PublicKey), TimeSpan.FromSeconds(5) - gone.Elapsed, "host 2 drops host 3");
        Assert.Equal([mesh2.PublicKey], await lab.PeersAsync(1, Wg(1)));

        // Its overlay guard's table stays with its guests; without it, the neighbour's route would work.
        Assert.False(await lab.PingAsync(outside, a3));
        await lab.InAsync(lab.HostNamespace(3), "nft", "delete", "table", "inet", guardTable);
        Assert.True(await lab.PingAsync(outside, a3));
        Assert.Equal("hello from the guest on host 3", await lab.FetchAsync(outside, $"http://{a3}:8080/"));

        // Host 2's silo SIGKILLed: its tunnel (a separate wireguard-go daemon), bridge and routes stay; traffic flows.
        var subnet1 = Ipv4Subnet.Parse(mesh1.Subnet);
        var a1 = await lab.SimVmAddressAsync(database, lab.AdminCredential, "g1", 1);
        var g1 = await lab.AddGuestAsync(1, "g1", a1, subnet1.Gateway.ToString(), subnet1.PrefixLength);
        lab.ServeHttp(g1, "hello from the guest on host 1");
        await Eventually.HoldsAsync(() => lab.FetchAsync(g2, $"http://{a1}:8080/"), b => b is not null, Timeout, "guest 2 fetches guest 1's page");
        await Eventually.HoldsAsync(() => lab.PingAsync(g1, a2), ok => ok, Timeout, "guest 1 pings guest 2 (host 2 knows guest 1's account)");
        await silos[1].KillAsync();
        Assert.Equal("hello from the guest on host 1", await lab.FetchAsync(g2, $"http://{a1}:8080/"));
        Assert.True(await lab.PingAsync(g1, a2));
    }
}

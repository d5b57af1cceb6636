using Formation.Errors;
using Formation.Networking;

namespace Formation.Silo.Tests.Clusters;

/// <summary>The address plan: a distinct subnet per node, and per-node VM addresses never given to two VMs at once.</summary>
public sealed class NetworkGrainTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task AssignSubnet_DistinctPerNode_StableForANode_AvoidsRoutesOnTheHost()
    {
        var network = Client.GetGrain<INetworkGrain>("net-assign");

        var a = await network.AssignSubnetAsync("a", null, []);
        var b = await network.AssignSubnetAsync("b", null, ["10.77.1.0/24", "192.168.0.0/16"]);
        var again = await network.AssignSubnetAsync("a", null, []);

        Assert.Equal("10.77.0.0/24", a);
        Assert.Equal("10.77.2.0/24", b);
        Assert.Equal(a, again);
    }

    [Fact]
    public async Task AssignSubnet_PreferredOverlappingAnotherNode_IsRefused()
    {
        var network = Client.GetGrain<INetworkGrain>("net-preferred");
        await network.AssignSubnetAsync("a", "10.99.0.0/24", []);

        var error = await Assert.ThrowsAsync<FormationException>(() => network.AssignSubnetAsync("b", "10.99.0.128/25", []));

        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Contains("overlaps 10.99.0.0/24 of node a", error.Message);
    }

    [Fact]
    public async Task Allocate_DistinctIdempotentRoundRobin_AndClearWhenFull()
    {
        var pool = Client.GetGrain<IAddressPoolGrain>("pool-test");
        const string subnet = "10.50.0.0/29"; // .2 to .6: five VMs

        var first = await pool.AllocateAsync("vm-1", subnet);
        var second = await pool.AllocateAsync("vm-2", subnet);
        Assert.Equal("10.50.0.2", first);
        Assert.Equal("10.50.0.3", second);
        Assert.Equal(first, await pool.AllocateAsync("vm-1", subnet));

        await pool.ReleaseAsync("vm-1");
        var third = await pool.AllocateAsync("vm-3", subnet);
        Assert.Equal("10.50.0.4", third); // the freed .2 is not reused first

        await pool.AllocateAsync("vm-4", subnet);
        await pool.AllocateAsync("vm-5", subnet);
        Assert.Equal("10.50.0.2", await pool.AllocateAsync("vm-6", subnet)); // wraps to the freed one
        var full = await Assert.ThrowsAsync<FormationException>(() => pool.AllocateAsync("vm-7", subnet));
        Assert.Equal(ErrorKind.NoCapacity, full.Kind);

        var leases = await pool.ListAsync();
        Assert.Equal(leases.Count, leases.Values.Distinct().Count());
    }
}

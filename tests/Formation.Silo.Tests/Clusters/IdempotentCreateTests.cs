using Formation.Errors;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Silo.Tests.Clusters;

/// <summary>Creates carrying a request id, through the real grains: a retry returns the first attempt's VM, never a second.</summary>
public sealed class IdempotentCreateTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private IClusterClient Client => fixture.Client;

    private IVmCatalogGrain Catalog => Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    [Fact]
    public async Task Create_RepeatedWithSameRequestId_ReturnsTheSameVmAndReservesOnce()
    {
        var spec = new VmSpec("idem-repeat", 1, 128, 1, null, null, RequestId: "req-repeat-1");
        var before = await ReservedVmsAsync();

        var first = await Catalog.CreateVmAsync(spec);
        var again = await Catalog.CreateVmAsync(spec);

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first.NodeId, again.NodeId);
        Assert.Single(await Catalog.ListAsync(), v => v.Name == "idem-repeat");
        Assert.Equal(before + 1, await ReservedVmsAsync());
    }

    [Fact]
    public async Task Create_ConcurrentAttemptsOfOneRequest_AllGetTheSameVm()
    {
        var spec = new VmSpec("idem-concurrent", 1, 128, 1, null, null, RequestId: "req-concurrent-1");

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Catalog.CreateVmAsync(spec)));

        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Single(await Catalog.ListAsync(), v => v.Name == "idem-concurrent");
    }

    [Fact]
    public async Task Create_SameNameWithoutOrWithOtherRequestId_IsRefusedAsDuplicate()
    {
        await Catalog.CreateVmAsync(new VmSpec("idem-taken", 1, 128, 1, null, null, RequestId: "req-taken-1"));

        var other = await Assert.ThrowsAsync<FormationException>(() =>
            Catalog.CreateVmAsync(new VmSpec("idem-taken", 1, 128, 1, null, null, RequestId: "req-taken-2")));
        var none = await Assert.ThrowsAsync<FormationException>(() => Catalog.CreateVmAsync(new VmSpec("idem-taken", 1, 128, 1, null, null)));

        Assert.Equal(ErrorKind.Conflict, other.Kind);
        Assert.Contains("already exists", other.Message);
        Assert.Equal(ErrorKind.Conflict, none.Kind);
    }

    [Fact]
    public async Task Create_SameRequestIdWithAnotherSpec_IsRefusedAndTheFirstVmIsKept()
    {
        var first = await Catalog.CreateVmAsync(new VmSpec("idem-reused", 1, 128, 1, null, null, RequestId: "req-reused-1"));
        var before = await ReservedVmsAsync();

        var reused = await Assert.ThrowsAsync<FormationException>(() =>
            Catalog.CreateVmAsync(new VmSpec("idem-reused", 2, 256, 1, null, null, RequestId: "req-reused-1")));

        Assert.Equal(ErrorKind.Conflict, reused.Kind);
        Assert.Contains("different spec", reused.Message);
        Assert.Equal(first.Id, (await Catalog.ResolveAsync("idem-reused")).Id);
        Assert.Equal(before, await ReservedVmsAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    public async Task Create_MalformedRequestId_IsInvalid(string requestId)
    {
        var bad = await Assert.ThrowsAsync<FormationException>(() =>
            Catalog.CreateVmAsync(new VmSpec("idem-bad", 1, 128, 1, null, null, RequestId: requestId)));

        Assert.Equal(ErrorKind.InvalidArgument, bad.Kind);
        Assert.Contains("--request-id", bad.Message);
    }

    private async Task<int> ReservedVmsAsync() =>
        (await Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).Sum(n => n.VmCount);
}

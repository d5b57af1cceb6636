using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>Concurrent INSTALL steps never share a slot of the build network, and a lease leaves nothing behind.</summary>
public class BuildNetworkLeaseTests
{
    [Fact]
    public async Task Leases_TakenConcurrently_GetDistinctSlotsAndLeaveNoLinkOrTable()
    {
        TestEnvironment.RequireBuilder();
        using var scratch = new TestDirectory("build-net");
        var network = new BuildNetwork(new PackOptions());

        var leases = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => network.LeaseAsync(Directory.CreateDirectory(Path.Combine(scratch.Path, $"s{i}")).FullName, TestContext.Current.CancellationToken))));
        var slots = leases.Select(l => l.Slot).ToList();
        var links = await SandboxedBuild.RunAsync("ip", "-o", "link", "show", "type", "veth");
        var tables = await SandboxedBuild.RunAsync("nft", "list", "tables", BuildNetwork.Family);
        foreach (var lease in leases)
        {
            await lease.DisposeAsync();
        }

        Assert.Equal(slots.Count, slots.Distinct().Count());
        Assert.Equal(leases.Length, leases.Select(l => l.StepAddress).Distinct().Count());
        foreach (var lease in leases)
        {
            Assert.Contains(links, l => l.Contains($" {lease.HostLink}@", StringComparison.Ordinal));
            Assert.Contains($"table {BuildNetwork.Family} {lease.Table}", tables);
        }

        var after = await SandboxedBuild.RunAsync("ip", "-o", "link", "show", "type", "veth");
        var tablesAfter = await SandboxedBuild.RunAsync("nft", "list", "tables", BuildNetwork.Family);
        foreach (var lease in leases)
        {
            Assert.DoesNotContain(after, l => l.Contains($" {lease.HostLink}@", StringComparison.Ordinal));
            Assert.DoesNotContain($"table {BuildNetwork.Family} {lease.Table}", tablesAfter);
            Assert.False(File.Exists(lease.ResolvConf));
        }
    }

    [Fact]
    public async Task Lease_RangeOverlappingTheOverlayOrAHostRoute_IsRefusedNamingTheOption()
    {
        TestEnvironment.RequireBuilder();
        using var scratch = new TestDirectory("build-net");
        var route = (await Formation.Silo.Platform.HostRoutes.Ipv4Async(TestContext.Current.CancellationToken))
            .First(r => Formation.Networking.Ipv4Subnet.TryParse(r.Subnet, out var s) && s.ToString() == r.Subnet
                && !s.Overlaps(Formation.Networking.NetworkPlan.Overlay)); // the overlay is refused first

        var overlay = await Assert.ThrowsAsync<BuildStepException>(() =>
            new BuildNetwork(new PackOptions { BuildNetworkSubnet = "10.77.8.0/24" }).LeaseAsync(scratch.Path, TestContext.Current.CancellationToken));
        Directory.CreateDirectory(scratch.Path);
        var host = await Assert.ThrowsAsync<BuildStepException>(() =>
            new BuildNetwork(new PackOptions { BuildNetworkSubnet = route.Subnet }).LeaseAsync(scratch.Path, TestContext.Current.CancellationToken));

        Assert.Contains("Formation:Pack:BuildNetworkSubnet 10.77.8.0/24 overlaps the cluster's overlay", overlay.Message);
        Assert.Contains($"Formation:Pack:BuildNetworkSubnet {route.Subnet} overlaps the host's route {route.Subnet} on {route.Device}", host.Message);
    }
}

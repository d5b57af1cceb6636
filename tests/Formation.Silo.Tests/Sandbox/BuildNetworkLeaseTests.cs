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
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Formation.Silo.Hosting;
using Formation.Silo.Tests.Infrastructure;

namespace Formation.Silo.Tests.Processes;

/// <summary>
/// One silo per node id and per port on a host, and a bounded stop: real formation-silo processes, a real PostgreSQL
/// that is taken away under a running silo.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SiloHygieneTests(PostgresServer postgres) : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    public async Task SecondSilo_SamePortsOtherDataDirectory_RefusesToStartNamingThePort()
    {
        var first = new SiloProcessOptions("hyg-ports", Path.Combine(_data.Path, "a"));
        await using var running = await SiloProcess.StartAsync(first);

        var second = new SiloProcessOptions("hyg-ports", Path.Combine(_data.Path, "b")) { SiloPort = first.SiloPort, GatewayPort = first.GatewayPort };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(second));

        Assert.Contains($"port {first.SiloPort} (--silo-port) is already in use", refused.Message);
        Assert.Contains($"pid {running.Pid}", refused.Message);

        Assert.False(running.HasExited);
    }

    [Fact]
    public async Task SecondSilo_SameNodeIdInSameCluster_RefusesToStartNamingTheNodeId()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("hygiene_node");
        await using var running = await SiloProcess.StartAsync(Cluster("hyg-node", "a", database));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(Cluster("hyg-node", "b", database)));

        Assert.Contains("node id 'hyg-node' is already used by another formation-silo on this host", refused.Message);
        Assert.Contains("--node-id", refused.Message);
    }

    [Fact]
    public void PortProbe_ListenerThatAllowsPortReuse_IsSeenAsBusy()
    {
        // Orleans' listeners set ReuseAddress, which on Linux also means SO_REUSEPORT: a second such listener would bind.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        Assert.False(HostLocks.IsFree(port));
        listener.Close();
        Assert.True(HostLocks.IsFree(port));
    }

    [Fact]
    [Trait("Category", "Slow")] // about 30 s: a cluster silo, its own PostgreSQL stopped, then a stop bounded at 10 s
    public async Task Sigterm_DatabaseGone_SiloExitsWithinItsShutdownTimeout()
    {
        var ownServer = new PostgresServer(); // its own server: stopping it must not disturb the collection's
        await ownServer.InitializeAsync();
        ownServer.RequireAvailable();
        var database = await ownServer.CreateDatabaseAsync("hygiene_gone");
        var options = Cluster("hyg-stop", "a", database) with { Environment = new() { ["Formation__ShutdownTimeoutSeconds"] = "10" } };
        await using var silo = await SiloProcess.StartAsync(options);

        await ownServer.DisposeAsync();
        var clock = Stopwatch.StartNew();
        await silo.StopAsync(TimeSpan.FromSeconds(25));

        Assert.True(silo.HasExited);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed} to stop:\n{silo.Output}");
    }

    private SiloProcessOptions Cluster(string nodeId, string dir, string database) =>
        new(nodeId, Path.Combine(_data.Path, dir)) { Mode = "cluster", Postgres = database };

    public void Dispose() => _data.Dispose();
}

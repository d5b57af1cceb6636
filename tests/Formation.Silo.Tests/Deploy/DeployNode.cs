using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>A qemu (or kvm) node for one test: its silo process, a client, and its data directory holding the test images.</summary>
public sealed class DeployNode : IAsyncDisposable
{
    private DeployNode(SiloProcess silo, ClusterClient client, string dataDirectory)
    {
        Silo = silo;
        Connection = client;
        DataDirectory = dataDirectory;
    }

    public SiloProcess Silo { get; }

    public ClusterClient Connection { get; }

    public IClusterClient Client => Connection.Client;

    public string NodeId => Silo.Options.NodeId;

    public string DataDirectory { get; }

    public static async Task<DeployNode> StartAsync(DeployFixture fixture, string nodeId, string driver, params (string Key, string Value)[] settings)
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync(nodeId);
        var options = fixture.Silo(nodeId, data, settings) with { Driver = driver };
        var silo = await SiloProcess.StartAsync(options);
        return new DeployNode(silo, await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true), data);
    }

    public IVmGrain Vm(string vmId) => Client.GetGrain<IVmGrain>(GrainKeys.Vm(NodeId, vmId));

    /// <summary>True when nothing of the VM is left on the host: no TAP, no address, no directory.</summary>
    public async Task AssertNothingLeftAsync(string vmId)
    {
        Assert.False(await Formation.Silo.Network.HostNetwork.LinkExistsAsync(Formation.Silo.Network.HostNetwork.TapName(vmId), CancellationToken.None),
            $"the TAP of {vmId} outlived it");
        Assert.DoesNotContain(vmId, (await Client.GetGrain<Formation.Networking.IAddressPoolGrain>(NodeId).ListAsync()).Keys);
        Assert.False(Directory.Exists(Path.Combine(DataDirectory, "vms", vmId)), $"the directory of {vmId} outlived it");
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Silo.DisposeAsync();
    }
}

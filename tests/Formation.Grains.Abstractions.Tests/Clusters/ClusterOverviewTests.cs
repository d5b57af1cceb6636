using Formation.Clusters;
using Formation.Display;
using Formation.Images;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Clusters;

public sealed class ClusterOverviewTests
{
    private static NodeStatus Node(string id, NodeHealth health, int reservedVcpus, string mode = "embedded") => new(
        new NodeInfo(id, id, 4, 8192, 100, false, "-", "sim", "-", "", $"127.0.0.1:{id.Length}", new NodeCapacity(16, 8192, 100),
            DateTimeOffset.UnixEpoch, "1", mode),
        health, DateTimeOffset.UnixEpoch, new NodeCapacity(reservedVcpus, 1024, 10), 1);

    private static VmSummary Vm(string id, VmState state) => new(id, id, "a", state, 1, 512, 10, null, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public void From_CountsHealthyCapacityOnly_AndVmsByState()
    {
        var overview = ClusterOverview.From([], [Node("a", NodeHealth.Healthy, 2), Node("b", NodeHealth.Unhealthy, 8, "cluster")],
            [Vm("1", VmState.Running), Vm("2", VmState.Running), Vm("3", VmState.Failed)]);

        Assert.Equal((2, 1, 1), (overview.Nodes, overview.NodesHealthy, overview.NodesUnhealthy));
        Assert.Equal(16, overview.Allocatable.VCpus);
        Assert.Equal(2, overview.Reserved.VCpus);
        Assert.Equal(new Dictionary<string, int> { ["Running"] = 2, ["Failed"] = 1 }, overview.VmsByState);
        Assert.Equal(["cluster", "embedded"], overview.StorageModes);
    }

    [Theory]
    [InlineData(VmState.Running, Tone.Good)]
    [InlineData(VmState.Lost, Tone.Bad)]
    [InlineData(VmState.Paused, Tone.Caution)]
    [InlineData(VmState.Provisioning, Tone.Neutral)]
    public void Tones_VmStates(VmState state, Tone tone) => Assert.Equal(tone, Tones.Of(state));

    [Theory]
    [InlineData(512, "512 MiB")]
    [InlineData(16384, "16 GiB")]
    public void Units_MiB(long mib, string text) => Assert.Equal(text, Units.MiB(mib));
}

using Formation.Grains.Edge;
using Formation.Nodes;

namespace Formation.Grains.Tests.Edge;

public sealed class NodePortsTests
{
    private static NodeInfo Node(string silo, string gateway, string metrics, params string[] multiaddrs) =>
        new("n", "h", 2, 1024, 10, false, "", "sim", "", silo, gateway, new NodeCapacity(2, 1024, 10), DateTimeOffset.UnixEpoch, "1",
            Multiaddrs: multiaddrs, MetricsUrl: metrics);

    [Fact]
    public void Of_TakesSiloGatewayMetricsAndLibp2pTcpPorts()
    {
        var info = Node("192.0.2.10:11111", "192.0.2.10:30000", "http://127.0.0.1:9464/metrics",
            "/ip4/192.0.2.10/tcp/4001/p2p/12D3KooWabc", "/ip6/::1/tcp/4002", "/ip4/192.0.2.10/udp/4003/quic");
        Assert.Equal([4001, 4002, 9464, 11111, 30000], NodePorts.Of(info));
    }

    [Fact]
    public void Of_IgnoresWhatIsMissingOrMalformed()
    {
        Assert.Empty(NodePorts.Of(Node("", "no-port", "", "/ip4/1.2.3.4/tcp/99999", "/dns/tcp/x")));
        Assert.Equal([30000], NodePorts.Of(Node("[::1]:0", "[2001:db8::1]:30000", "not a url")));
    }
}

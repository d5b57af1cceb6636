using System.Net.Sockets;
using Formation.Discovery;
using Formation.LocalApi;
using Formation.Nodes;
using Formation.P2p.Addressing;

namespace Formation.Silo.Tests.Discovery;

/// <summary>Asks a running silo process through its local API socket (the same answers `form` gets).</summary>
internal static class SiloReads
{
    public static async Task<IReadOnlyList<PeerRow>> PeersAsync(SiloProcess silo) =>
        (await QueryAsync(silo, new LocalApiRequest(LocalApiProtocol.Peers))).Peers!;

    public static async Task<NodeInfo> SelfAsync(SiloProcess silo)
    {
        var nodes = await Eventually.HoldsAsync(
            async () => (await QueryAsync(silo, new LocalApiRequest(LocalApiProtocol.Nodes))).Nodes!,
            n => n.Any(x => x.NodeId == silo.Options.NodeId), TimeSpan.FromSeconds(30), $"{silo.Options.NodeId} in its own node list");
        return nodes.Single(n => n.NodeId == silo.Options.NodeId).Info;
    }

    /// <summary>The silo's libp2p address with /p2p, from its node record in `node list`.</summary>
    public static async Task<Multiaddr> AddressAsync(SiloProcess silo) =>
        Multiaddr.Parse(Assert.Single((await SelfAsync(silo)).Multiaddrs!));

    /// <summary>Waits until the silo's peer list holds a row matching <paramref name="match"/>.</summary>
    public static async Task<PeerRow> WaitForPeerAsync(SiloProcess silo, Func<PeerRow, bool> match, string what, TimeSpan? timeout = null)
    {
        var rows = await Eventually.HoldsAsync(() => PeersAsync(silo), r => r.Any(match), timeout ?? TimeSpan.FromSeconds(60),
            $"{silo.Options.NodeId} to list {what}");
        return rows.First(match);
    }

    private static async Task<LocalApiReply> QueryAsync(SiloProcess silo, LocalApiRequest request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(LocalApiPaths.Socket(silo.Options.GatewayPort)));
        await using var stream = new NetworkStream(socket);
        await LocalApiProtocol.WriteRequestAsync(stream, request, CancellationToken.None);
        return await LocalApiProtocol.ReadReplyAsync(stream, CancellationToken.None);
    }
}

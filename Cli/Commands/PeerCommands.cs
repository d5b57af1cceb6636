using System.CommandLine;
using Formation.Cli.Output;
using Formation.Discovery;
using Formation.Display;

namespace Formation.Cli.Commands;

/// <summary><c>form peer list</c>: the libp2p peers each node's discovery knows.</summary>
public static class PeerCommands
{
    public static Command Create(FormApp app)
    {
        var peer = new Command("peer", "libp2p peers the nodes have found");
        var json = FormApp.JsonOption();
        var list = new Command("list", "List known peers: PeerId, node id, addresses, last seen, latency, record age") { json };
        list.SetAction((parse, ct) => app.WithReadsAsync(parse, ct, async reads =>
        {
            var peers = await reads.ListPeersAsync(ct);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, peers);
            }
            else
            {
                Render(app.Terminal, peers);
            }

            return ExitCodes.Ok;
        }));
        peer.Subcommands.Add(list);
        return peer;
    }

    private static void Render(Terminal terminal, IReadOnlyList<PeerRow> peers)
    {
        if (peers.Count == 0)
        {
            terminal.Out.WriteLine("No peers known yet: start another node with --join <this node's multiaddr> (see `form node list`) or --mdns.");
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var table = new TextTable("SEEN BY", "PEER", "NODE", "CONNECTED", "LAST SEEN", "PING", "RECORD AGE", "ADDRESSES");
        foreach (var p in peers)
        {
            table.Add(p.SeenBy, p.PeerId, p.NodeId.Length == 0 ? "-" : p.NodeId, p.Connected ? "yes" : "no", Units.Ago(p.LastSeen, now),
                p.LatencyMs is { } ms ? $"{ms:0.0} ms" : "-", p.RecordReceivedAt is { } at ? Units.Age(at, now) : "-",
                p.Addresses.Count == 0 ? "-" : string.Join(" ", p.Addresses));
        }

        terminal.Write(table);
    }
}

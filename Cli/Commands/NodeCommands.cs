using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Nodes;

namespace Formation.Cli.Commands;

/// <summary><c>form node list</c>.</summary>
public static class NodeCommands
{
    public static Command Create(FormApp app)
    {
        var node = new Command("node", "Hosts in the cluster");
        var json = FormApp.JsonOption();
        var list = new Command("list", "List nodes with their health, driver and capacity") { json };
        list.SetAction((parse, ct) => app.WithReadsAsync(parse, ct, async reads =>
        {
            var nodes = await reads.ListNodesAsync(ct);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, nodes);
            }
            else
            {
                Render(app.Terminal, nodes);
            }

            return ExitCodes.Ok;
        }));
        node.Subcommands.Add(list);
        return node;
    }

    private static void Render(Terminal terminal, IReadOnlyList<NodeStatus> nodes)
    {
        if (nodes.Count == 0)
        {
            terminal.Out.WriteLine("No nodes have registered yet.");
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var table = new TextTable("NODE", "HEALTH", "DRIVER", "VCPU USED/ALL", "MEMORY USED/ALL", "DISK USED/ALL", "VMS", "HEARTBEAT", "GATEWAY");
        foreach (var n in nodes)
        {
            var a = n.Info.Allocatable;
            var r = n.Reserved;
            table.Add(n.NodeId, Format.HealthCell(n.Health), n.Info.HypervisorDriver, $"{r.VCpus}/{a.VCpus}",
                $"{Units.MiB(r.MemoryMiB)}/{Units.MiB(a.MemoryMiB)}", $"{r.DiskGiB}/{a.DiskGiB} GiB", n.VmCount.ToString(),
                Units.Ago(n.LastHeartbeat, now), n.Info.GatewayEndpoint);
        }

        terminal.Write(table);
        terminal.Out.WriteLine();
        foreach (var n in nodes)
        {
            terminal.Out.WriteLine($"{n.NodeId}: driver {n.Info.HypervisorDriver} — {n.Info.HypervisorReason}");
            if (n.Info.Multiaddrs is { Count: > 0 } addrs)
            {
                terminal.Out.WriteLine($"{n.NodeId}: libp2p {string.Join(" ", addrs)}");
            }
        }
    }
}

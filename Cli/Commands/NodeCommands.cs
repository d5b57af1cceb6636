using System.CommandLine;
using Formation.Cli.Output;
using Formation.Nodes;
using Formation.Scheduling;
using Spectre.Console;

namespace Formation.Cli.Commands;

/// <summary><c>form node list</c>.</summary>
public static class NodeCommands
{
    public static Command Create(FormApp app)
    {
        var node = new Command("node", "Hosts in the cluster");
        var json = FormApp.JsonOption();
        var list = new Command("list", "List nodes with their health, driver and capacity") { json };
        list.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var nodes = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, nodes);
            }
            else
            {
                Render(app.Terminal.Console, nodes);
            }

            return ExitCodes.Ok;
        }));
        node.Subcommands.Add(list);
        return node;
    }

    private static void Render(IAnsiConsole console, IReadOnlyList<NodeStatus> nodes)
    {
        if (nodes.Count == 0)
        {
            console.WriteLine("No nodes have registered yet.");
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in new[] { "NODE", "HEALTH", "DRIVER", "VCPU (USED/ALL)", "MEMORY (USED/ALL)", "DISK (USED/ALL)", "VMS", "HEARTBEAT", "GATEWAY" })
        {
            table.AddColumn(column);
        }

        foreach (var n in nodes)
        {
            var a = n.Info.Allocatable;
            var r = n.Reserved;
            table.AddRow(
                Markup.Escape(n.NodeId),
                Format.Health(n.Health),
                Markup.Escape(n.Info.HypervisorDriver),
                $"{r.VCpus}/{a.VCpus}",
                $"{Format.MiB(r.MemoryMiB)}/{Format.MiB(a.MemoryMiB)}",
                $"{r.DiskGiB}/{a.DiskGiB} GiB",
                n.VmCount.ToString(),
                Format.Ago(n.LastHeartbeat, now),
                Markup.Escape(n.Info.GatewayEndpoint));
        }

        console.Write(table);
        foreach (var n in nodes.Where(n => n.Info.HypervisorDriver is "none"))
        {
            console.MarkupLine($"[yellow]{Markup.Escape(n.NodeId)}: no hypervisor driver — {Markup.Escape(n.Info.HypervisorReason)}[/]");
        }
    }
}

using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Metrics;

namespace Formation.Cli.Commands;

/// <summary><c>form top</c>: every node's CPU, load, memory, disk and network, refreshing like top.</summary>
public static class TopCommand
{
    public static Command Create(FormApp app)
    {
        var loop = new TopLoop();
        var command = new Command("top", "Nodes' CPU, load, memory, disk and network now, refreshing (--json: one snapshot)");
        loop.AddTo(command);
        command.SetAction((parse, ct) => loop.Problem(parse) is { } problem
            ? Task.FromResult(app.Fail(Errors.FormationException.Invalid(problem)))
            : app.WithClusterAsync(parse, ct, client => loop.RunAsync(app, parse, async json =>
            {
                var nodes = await MetricsReads.NodesAsync(client);
                if (json)
                {
                    Json.Write(app.Terminal.Out, nodes.Select(n => new
                    {
                        nodeId = n.Node.NodeId,
                        health = n.Node.Health,
                        metricsUrl = n.Node.Info.MetricsUrl,
                        latest = n.Latest,
                    }));
                }
                else
                {
                    Render(app.Terminal, nodes);
                }
            }, ct)));
        return command;
    }

    private static void Render(Terminal terminal, IReadOnlyList<MetricsReads.NodeTop> nodes)
    {
        if (nodes.Count == 0)
        {
            terminal.Out.WriteLine("No nodes have registered yet.");
            return;
        }

        var table = new TextTable("NODE", "HEALTH", "CPU", "LOAD", "MEMORY USED", "DISK USED", "DISK R/W", "NET RX/TX", "VMS RUN/ALL");
        foreach (var (node, p) in nodes.Select(n => (n.Node, n.Latest)))
        {
            if (p is null)
            {
                table.Add(node.NodeId, Format.HealthCell(node.Health), "-", "-", "-", "-", "-", "-", "-");
                continue;
            }

            table.Add(node.NodeId, Format.HealthCell(node.Health), $"{MetricsCells.Percent(p.CpuBusy)} of {p.CpuCount}", $"{p.Load1:0.00}",
                MetricsCells.UsedOf(p.MemoryUsedBytes, p.MemoryTotalBytes), MetricsCells.UsedOf(p.DiskUsedBytes, p.DiskTotalBytes),
                MetricsCells.Rates(p.DiskReadBytesPerSecond, p.DiskWriteBytesPerSecond),
                MetricsCells.Rates(p.NetworkReceiveBytesPerSecond, p.NetworkTransmitBytesPerSecond), $"{p.VmsRunning}/{p.VmsTotal}");
        }

        terminal.Write(table);
    }
}

using System.CommandLine;
using Formation.Cli.Output;
using Formation.Clusters;
using Formation.Display;
using Spectre.Console;

namespace Formation.Cli.Commands;

/// <summary><c>form cluster status</c>: silos, node health, capacity and VMs by state.</summary>
public static class ClusterCommands
{
    public static Command Create(FormApp app)
    {
        var cluster = new Command("cluster", "The cluster as a whole");
        var json = FormApp.JsonOption();
        var status = new Command("status", "Silos, node health, capacity and VM counts") { json };
        status.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var report = await ClusterOverview.LoadAsync(client);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, report);
                return ExitCodes.Ok;
            }

            var c = app.Terminal.Console;
            c.MarkupLine($"[bold]Silos[/] ({report.Silos.Count} active)");
            var table = new TextTable("NODE", "ADDRESS", "STATUS", "STARTED");
            foreach (var s in report.Silos)
            {
                table.Add(s.Name, s.Address, s.Status, s.Started.ToString("u"));
            }

            app.Terminal.Write(table);
            c.MarkupLine($"[bold]Nodes[/]: {report.NodesHealthy} healthy, {report.NodesUnhealthy} unhealthy, {report.Nodes} known");
            c.MarkupLine($"[bold]Capacity[/] (healthy nodes): {report.Reserved.VCpus}/{report.Allocatable.VCpus} vCPU, " +
                $"{Units.MiB(report.Reserved.MemoryMiB)}/{Units.MiB(report.Allocatable.MemoryMiB)} memory, " +
                $"{report.Reserved.DiskGiB}/{report.Allocatable.DiskGiB} GiB disk reserved");
            var byState = report.VmsByState.Count == 0 ? "" : " (" + string.Join(", ", report.VmsByState.Select(kv => $"{kv.Value} {kv.Key}")) + ")";
            c.MarkupLine($"[bold]VMs[/]: {report.Vms}{byState}");
            if (report.StorageModes.Count > 0)
            {
                c.MarkupLine($"[bold]Storage[/]: {string.Join(", ", report.StorageModes)}");
            }

            return ExitCodes.Ok;
        }));
        cluster.Subcommands.Add(status);
        return cluster;
    }
}

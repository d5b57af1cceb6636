using System.CommandLine;
using Formation.Cli.Output;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Vms;
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
            var hosts = await client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
            var nodes = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
            var vms = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
            var healthy = nodes.Where(n => n.Health == NodeHealth.Healthy).ToList();
            var report = new ClusterStatusReport(
                hosts.Select(h => new SiloRow(h.SiloName, h.SiloAddress.ToString(), h.Status.ToString(), h.StartTime)).OrderBy(s => s.Name).ToList(),
                nodes.Count,
                healthy.Count,
                nodes.Count(n => n.Health == NodeHealth.Unhealthy),
                healthy.Aggregate(NodeCapacity.Zero, (sum, n) => sum + n.Info.Allocatable),
                healthy.Aggregate(NodeCapacity.Zero, (sum, n) => sum + n.Reserved),
                vms.Count,
                vms.GroupBy(v => v.State).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(), g => g.Count()));
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
                $"{Format.MiB(report.Reserved.MemoryMiB)}/{Format.MiB(report.Allocatable.MemoryMiB)} memory, " +
                $"{report.Reserved.DiskGiB}/{report.Allocatable.DiskGiB} GiB disk reserved");
            var byState = report.VmsByState.Count == 0 ? "" : " (" + string.Join(", ", report.VmsByState.Select(kv => $"{kv.Value} {kv.Key}")) + ")";
            c.MarkupLine($"[bold]VMs[/]: {report.Vms}{byState}");
            return ExitCodes.Ok;
        }));
        cluster.Subcommands.Add(status);
        return cluster;
    }

    private sealed record SiloRow(string Name, string Address, string Status, DateTime Started);

    private sealed record ClusterStatusReport(
        IReadOnlyList<SiloRow> Silos,
        int Nodes,
        int NodesHealthy,
        int NodesUnhealthy,
        NodeCapacity Allocatable,
        NodeCapacity Reserved,
        int Vms,
        IReadOnlyDictionary<string, int> VmsByState);
}

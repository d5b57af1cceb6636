using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Metrics;

namespace Formation.Cli.Commands;

/// <summary><c>form vm top [VM]</c>: VMs' CPU, memory, disk and network now, busiest first, refreshing like top.</summary>
public static class VmTopCommand
{
    public static Command Create(FormApp app)
    {
        var vm = new Argument<string?>("vm") { Description = "VM id or name (default: every VM)", Arity = ArgumentArity.ZeroOrOne };
        var loop = new TopLoop();
        var command = new Command("top", "VMs' CPU, memory, disk and network now, busiest first, refreshing (--json: one snapshot)") { vm };
        loop.AddTo(command);
        command.SetAction((parse, ct) => loop.Problem(parse) is { } problem
            ? Task.FromResult(app.Fail(Errors.FormationException.Invalid(problem)))
            : app.WithClusterAsync(parse, ct, client => loop.RunAsync(app, parse, async json =>
            {
                IReadOnlyList<VmMetrics> vms = parse.GetValue(vm) is { } one ? [await MetricsReads.VmAsync(client, one, 1)] : await MetricsReads.VmsAsync(client);
                if (json)
                {
                    Json.Write(app.Terminal.Out, vms.Select(v => new { v.VmId, v.Name, v.NodeId, v.State, v.VCpus, v.MemoryMiB, latest = v.Latest }));
                }
                else
                {
                    Render(app.Terminal, vms);
                }
            }, ct)));
        return command;
    }

    private static void Render(Terminal terminal, IReadOnlyList<VmMetrics> vms)
    {
        if (vms.Count == 0)
        {
            terminal.Out.WriteLine("No VMs on any node. Create one with `form vm create --name NAME --vcpus 1 --memory 512`.");
            return;
        }

        var table = new TextTable("ID", "NAME", "NODE", "STATE", "CPU", "MEMORY", "DISK R/W", "NET RX/TX");
        foreach (var v in vms)
        {
            var p = v.Latest;
            table.Add(v.VmId, v.Name, v.NodeId, Format.StateCell(v.State),
                p is null ? "-" : $"{MetricsCells.Percent(p.CpuUtilization)} of {v.VCpus}",
                p is null ? "-" : $"{Units.Bytes(p.MemoryBytes)} / {Units.MiB(v.MemoryMiB)}",
                p is null ? "-" : MetricsCells.Rates(p.DiskReadBytesPerSecond, p.DiskWriteBytesPerSecond),
                p is null ? "-" : MetricsCells.Rates(p.NetworkReceiveBytesPerSecond, p.NetworkTransmitBytesPerSecond));
        }

        terminal.Write(table);
    }
}

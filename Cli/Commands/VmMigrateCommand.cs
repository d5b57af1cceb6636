using System.CommandLine;
using Formation.Cli.Output;
using Formation.Vms;
using Spectre.Console;

namespace Formation.Cli.Commands;

/// <summary><c>form vm migrate VM --to NODE</c>: moves a running VM to another node, keeping its id, name and address.</summary>
public static class VmMigrateCommand
{
    public static Command Create(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var to = new Option<string>("--to") { Description = "The node to move it to (see `form node list`)", HelpName = "node", Required = true };
        var json = FormApp.JsonOption();
        var command = new Command("migrate",
            "Move a running VM to another node: its memory, devices and disk are saved, copied and restored there " +
            "(the VM is paused meanwhile); it keeps its id, name and address. A failed move leaves it running where it was.") { id, to, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var from = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(parse.GetValue(id)!);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var moved = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).MigrateVmAsync(from.Id, parse.GetValue(to)!);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, moved);
                return ExitCodes.Ok;
            }

            app.Terminal.Console.MarkupLine(
                $"VM [bold]{Markup.Escape(moved.Name)}[/] ({moved.Id}) moved from node {Markup.Escape(from.NodeId)} to node " +
                $"[bold]{Markup.Escape(moved.NodeId)}[/] in {clock.Elapsed.TotalSeconds:0.0} s: {Format.State(moved.State)}" +
                (moved.Address is null ? "" : $", address {moved.Address}") + ".");
            return ExitCodes.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Errors;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Snapshots;
using Formation.Vms;
using Spectre.Console;

namespace Formation.Cli.Commands;

/// <summary><c>form snapshot list|delete</c>, and the VM verbs that take and restore them: <c>form vm snapshot|restore</c>.</summary>
public static class SnapshotCommands
{
    public static Command Create(FormApp app)
    {
        var snapshot = new Command("snapshot", "VM snapshots (machine state and disk, kept on the VM's node)");
        snapshot.Subcommands.Add(ListCommand(app));
        snapshot.Subcommands.Add(DeleteCommand(app));
        return snapshot;
    }

    /// <summary><c>form vm snapshot VM [--name S] [--stop]</c>.</summary>
    public static Command VmSnapshotCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var name = new Option<string?>("--name") { Description = "Snapshot name (a DNS label; default: the VM's name and the UTC time)", HelpName = "name" };
        var stop = new Option<bool>("--stop") { Description = "Leave the VM stopped after the snapshot instead of resuming it" };
        var json = FormApp.JsonOption();
        var command = new Command("snapshot", "Save a running VM's memory, vCPU and device state and a copy of its disk on its node") { id, name, stop, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
            var taken = await grain.SnapshotAsync(parse.GetValue(name), parse.GetValue(stop));
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, taken);
                return ExitCodes.Ok;
            }

            app.Terminal.Console.MarkupLine(
                $"Snapshot [bold]{Markup.Escape(taken.Name)}[/] ({taken.ShortId}) of VM {Markup.Escape(taken.VmName)} on node {Markup.Escape(taken.NodeId)}: " +
                $"state {Units.Bytes(taken.StateBytes)}, disk {Units.Bytes(taken.DiskBytes)}; the VM is {(parse.GetValue(stop) ? "stopped" : "running")}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>form vm restore VM S</c>.</summary>
    public static Command VmRestoreCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var snapshot = new Argument<string>("snapshot") { Description = "Snapshot name or id (one of this VM's; see `form snapshot list --vm VM`)" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return at once instead of waiting until the VM runs again" };
        var command = new Command("restore", "Bring a VM back to one of its snapshots (its current memory and disk are replaced)") { id, snapshot, noWait };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
            var info = await grain.RestoreAsync(parse.GetValue(snapshot)!);
            if (!parse.GetValue(noWait) && info.State != VmState.Running)
            {
                info = await VmHandles.WaitForAsync(grain, VmState.Running, ct);
            }

            app.Terminal.Console.MarkupLine($"VM [bold]{Markup.Escape(info.Name)}[/] ({info.Id}): {Format.State(info.State)}" +
                (info.Reason is null ? "" : $" ({Markup.Escape(info.Reason)})"));
            if (info.State == VmState.Failed)
            {
                app.Terminal.Error.WriteLine($"form: restoring VM {info.Name} failed: {info.Reason}");
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ListCommand(FormApp app)
    {
        var vm = new Option<string?>("--vm") { Description = "Only this VM's snapshots (name or id)", HelpName = "vm" };
        var json = FormApp.JsonOption();
        var command = new Command("list", "List the snapshots of every node") { vm, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var snapshots = await SnapshotReads.ListAsync(client, parse.GetValue(vm));
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, snapshots);
                return ExitCodes.Ok;
            }

            if (snapshots.Count == 0)
            {
                app.Terminal.Out.WriteLine("No snapshots. Take one with `form vm snapshot VM --name NAME`.");
                return ExitCodes.Ok;
            }

            var table = new TextTable("ID", "NAME", "VM", "NODE", "DRIVER", "VCPUS", "MEMORY", "STATE SIZE", "DISK SIZE", "CREATED");
            foreach (var s in snapshots)
            {
                table.Add(s.ShortId, s.Name, s.VmName, s.NodeId, s.Driver, s.VCpus.ToString(), Units.MiB(s.MemoryMiB), Units.Bytes(s.StateBytes),
                    Units.Bytes(s.DiskBytes), s.CreatedAt.ToString("u"));
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command DeleteCommand(FormApp app)
    {
        var snapshot = new Argument<string>("snapshot") { Description = "Snapshot name or id" };
        var command = new Command("delete", "Delete a snapshot from its node") { snapshot };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var deleted = await SnapshotReads.DeleteAsync(client, parse.GetValue(snapshot)!);
            app.Terminal.Console.MarkupLine($"Deleted snapshot [bold]{Markup.Escape(deleted.Name)}[/] ({deleted.ShortId}) from node {Markup.Escape(deleted.NodeId)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Errors;
using Formation.Vms;
using Spectre.Console;

namespace Formation.Cli.Commands;

/// <summary>
/// Devices of running VMs: <c>form vm disk add|remove</c>, <c>form vm nic add|remove</c> (hotplug; the guest sees the
/// device at once and the VM keeps it across restarts) and <c>form vm resize --memory</c> (the balloon).
/// </summary>
public static class VmDeviceCommands
{
    public static Command DiskCommand(FormApp app)
    {
        var disk = new Command("disk", $"Disks added to a running VM (at most {VmDevices.MaxDisks}; the guest sees each as a virtio disk whose serial is its id)");
        disk.Subcommands.Add(DiskAddCommand(app));
        disk.Subcommands.Add(DiskRemoveCommand(app));
        return disk;
    }

    public static Command NicCommand(FormApp app)
    {
        var nic = new Command("nic", $"Network interfaces added to a running VM (at most {VmDevices.MaxNics}; each with its own MAC and address)");
        nic.Subcommands.Add(NicAddCommand(app));
        nic.Subcommands.Add(NicRemoveCommand(app));
        return nic;
    }

    /// <summary><c>form vm resize VM --memory SIZE</c>.</summary>
    public static Command ResizeCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var memory = new Option<string>("--memory") { Description = "Memory the guest keeps, e.g. 256M or 1G: down to 64 MiB, up to what it booted with", HelpName = "size", Required = true };
        var json = FormApp.JsonOption();
        var command = new Command("resize",
            "Shrink a running VM's memory through its balloon, or grow it back up to its boot size (growing beyond needs memory hotplug, which Formation does not do)")
            { id, memory, json };
        command.SetAction((parse, ct) =>
        {
            if (!VmDevices.TryParseSize(parse.GetValue(memory), out var mib, out var problem))
            {
                return Task.FromResult(app.Fail(FormationException.Invalid($"--memory: {problem}.")));
            }

            return app.WithClusterAsync(parse, ct, async client =>
            {
                var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
                var result = await grain.ResizeMemoryAsync(mib);
                if (parse.GetValue(json))
                {
                    Json.Write(app.Terminal.Out, result);
                    return ExitCodes.Ok;
                }

                app.Terminal.Console.MarkupLine($"VM [bold]{Markup.Escape(parse.GetValue(id)!)}[/]: memory {Units.MiB(result.TargetMiB)} of {Units.MiB(result.BootMiB)}; " +
                    $"the guest has {Units.MiB(result.ActualMiB)}" + (result.ActualMiB == result.TargetMiB ? "." : " (it is still giving memory back or taking it)."));
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command DiskAddCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var size = new Option<string>("--size") { Description = "Disk size, e.g. 512M or 10G (a sparse file on the VM's node)", HelpName = "size", Required = true };
        var json = FormApp.JsonOption();
        var command = new Command("add", "Add an empty disk to a running VM") { id, size, json };
        command.SetAction((parse, ct) =>
        {
            if (!VmDevices.TryParseSize(parse.GetValue(size), out var mib, out var problem))
            {
                return Task.FromResult(app.Fail(FormationException.Invalid($"--size: {problem}.")));
            }

            return app.WithClusterAsync(parse, ct, async client =>
            {
                var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
                var disk = await grain.AddDiskAsync(mib);
                if (parse.GetValue(json))
                {
                    Json.Write(app.Terminal.Out, disk);
                    return ExitCodes.Ok;
                }

                app.Terminal.Console.MarkupLine($"Disk [bold]{disk.Id}[/] ({Units.MiB(disk.SizeMiB)}) added to VM {Markup.Escape(parse.GetValue(id)!)}; " +
                    $"in the guest it is the virtio disk with serial {disk.Id}.");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command DiskRemoveCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var disk = new Argument<string>("disk") { Description = "The added disk's id (disk1, ...; `form vm show VM` lists them)" };
        var command = new Command("remove", "Unplug an added disk from a running VM and delete its contents (unmount it in the guest first)") { id, disk };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
            var info = await grain.RemoveDiskAsync(parse.GetValue(disk)!);
            app.Terminal.Console.MarkupLine($"Disk [bold]{Markup.Escape(parse.GetValue(disk)!)}[/] removed from VM {Markup.Escape(info.Name)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command NicAddCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var json = FormApp.JsonOption();
        var command = new Command("add", "Add a network interface on the node's bridge to a running VM (its own MAC and address)") { id, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
            var nic = await grain.AddNicAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, nic);
                return ExitCodes.Ok;
            }

            app.Terminal.Console.MarkupLine($"Network interface [bold]{nic.Id}[/] added to VM {Markup.Escape(parse.GetValue(id)!)}: MAC {nic.Mac}, " +
                $"address {Markup.Escape(nic.Address ?? "-")} (the bridge lets it send only as that; configure it in the guest).");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command NicRemoveCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var nic = new Argument<string>("nic") { Description = "The added interface's id (nic1, ...; `form vm show VM` lists them)" };
        var command = new Command("remove", "Unplug an added network interface from a running VM and free its address") { id, nic };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
            var info = await grain.RemoveNicAsync(parse.GetValue(nic)!);
            app.Terminal.Console.MarkupLine($"Network interface [bold]{Markup.Escape(parse.GetValue(nic)!)}[/] removed from VM {Markup.Escape(info.Name)}.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}

using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Errors;
using Formation.Formfiles;
using Formation.LocalApi;
using Formation.Vms;
using Spectre.Console;

namespace Formation.Cli.Commands;

/// <summary><c>form vm create|list|show|start|stop|pause|resume|delete|snapshot|restore|events|disk|nic|resize</c>.</summary>
public static class VmCommands
{
    public static Command Create(FormApp app)
    {
        var vm = new Command("vm", "Virtual machines");
        vm.Subcommands.Add(CreateCommand(app));
        vm.Subcommands.Add(ListCommand(app));
        vm.Subcommands.Add(ShowCommand(app));
        foreach (var action in VmActions.All)
        {
            vm.Subcommands.Add(Lifecycle(app, action));
        }

        vm.Subcommands.Add(SnapshotCommands.VmSnapshotCommand(app));
        vm.Subcommands.Add(SnapshotCommands.VmRestoreCommand(app));
        vm.Subcommands.Add(VmEventsCommand.Create(app));
        vm.Subcommands.Add(VmTopCommand.Create(app));
        vm.Subcommands.Add(VmLogsCommand.Create(app));
        vm.Subcommands.Add(VmConsoleCommand.Create(app));
        vm.Subcommands.Add(VmExecCommand.Create(app));
        vm.Subcommands.Add(VmMigrateCommand.Create(app));
        vm.Subcommands.Add(VmDeviceCommands.DiskCommand(app));
        vm.Subcommands.Add(VmDeviceCommands.NicCommand(app));
        vm.Subcommands.Add(VmDeviceCommands.ResizeCommand(app));
        return vm;
    }

    private static Command CreateCommand(FormApp app)
    {
        var name = new Option<string>("--name") { Description = "VM name (a DNS label, unique in the cluster)", Required = true };
        // Required unless --from-snapshot gives them (checked in the action).
        var vcpus = new Option<int>("--vcpus") { Description = $"vCPUs (1–{VmSpecRules.MaxVCpus}; a clone has its snapshot's)" };
        var memory = new Option<long>("--memory") { Description = "Memory in MiB (a clone has its snapshot's)", HelpName = "MiB" };
        var disk = new Option<long>("--disk") { Description = "Disk in GiB (default 10)", DefaultValueFactory = _ => 10, HelpName = "GiB" };
        var node = new Option<string?>("--node") { Description = "Run on this node only", HelpName = "node-id" };
        var image = new Option<string?>("--image") { Description = "Image to boot (name[:tag] or digest)", HelpName = "ref" };
        var restart = CommandParts.RestartOption();
        var console = CommandParts.ConsoleOption();
        var noEgress = CommandParts.NoEgressOption();
        var publish = CommandParts.PublishOption();
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the VM is placed instead of waiting until it is Running (or Failed)" };
        var requestId = new Option<string?>("--request-id")
        {
            Description = "Idempotency key (default: a new one per run): repeating a create with the same name and request id returns the first one's VM",
            HelpName = "id",
        };
        var fromSnapshot = new Option<string?>("--from-snapshot")
        {
            Description = "Clone a snapshot (name or id) into a new VM with its own identity (MAC, address, hostname), on the snapshot's node",
            HelpName = "snapshot",
        };
        var json = FormApp.JsonOption();
        var command = new Command("create", "Create a VM on a node with room for it")
        {
            name, vcpus, memory, disk, node, image, restart, console, noEgress, publish, noWait, requestId, fromSnapshot, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var snapshot = parse.GetValue(fromSnapshot);
            if (snapshot is null && (parse.GetResult(vcpus) is null || parse.GetResult(memory) is null))
            {
                return app.Fail(FormationException.Invalid(
                    $"{(parse.GetResult(vcpus) is null ? "--vcpus" : "--memory")} is required: give the VM's size, e.g. --vcpus 1 --memory 512 (only a clone, --from-snapshot S, takes its snapshot's)."));
            }

            // The request id makes the create safe to retry on another silo when the first one dies before answering.
            // A clone's size left out is 0 here: the catalog fills in its snapshot's.
            var spec = new VmSpec(parse.GetValue(name)!, parse.GetValue(vcpus), parse.GetValue(memory),
                snapshot is not null && parse.GetResult(disk) is null or { Implicit: true } ? 0 : parse.GetValue(disk), parse.GetValue(image),
                parse.GetValue(node), parse.GetValue(restart), Console: parse.GetValue(console),
                RequestId: parse.GetValue(requestId) ?? Guid.NewGuid().ToString("N"),
                NoEgress: parse.GetValue(noEgress), Publish: parse.GetValue(publish) is { Length: > 0 } ports ? ports : null,
                FromSnapshot: snapshot);
            try
            {
                if (snapshot is null)
                {
                    VmSpecRules.Validate(spec); // a clone's spec is complete only once the catalog has found its snapshot
                }
            }
            catch (FormationException ex)
            {
                return app.Fail(ex);
            }

            return await app.WithFrontDoorAsync(parse, ct, async (calls, _) =>
            {
                var info = await calls.CreateVmAsync(spec, ct);
                if (!parse.GetValue(noWait) && info.State != VmState.Running)
                {
                    info = await VmPolling.WaitForAsync(calls, info.Id, VmState.Running, ct);
                }

                if (parse.GetValue(json))
                {
                    Json.Write(app.Terminal.Out, info);
                }
                else
                {
                    app.Terminal.Console.MarkupLine(
                        $"Created VM [bold]{Markup.Escape(info.Name)}[/] ({info.Id}) on node {Markup.Escape(info.NodeId)}: {Format.State(info.State)}");
                }

                return info.State == VmState.Failed ? ExitCodes.Failed : ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command ListCommand(FormApp app)
    {
        var json = FormApp.JsonOption();
        var account = new Option<string?>("--account") { Description = "Only this account's VMs (admins see every account's; members only their own)" };
        var command = new Command("list", "List VMs: yours, or (admins) every account's with an ACCOUNT column") { json, account };
        command.SetAction((parse, ct) => app.WithReadsAsync(parse, ct, async reads =>
        {
            var vms = await reads.ListVmsAsync(ct);
            if (parse.GetValue(account) is { } only)
            {
                vms = [.. vms.Where(v => v.Account == only)];
            }

            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, vms);
                return ExitCodes.Ok;
            }

            if (vms.Count == 0)
            {
                app.Terminal.Out.WriteLine("No VMs. Create one with `form vm create --name NAME --vcpus 1 --memory 512`.");
                return ExitCodes.Ok;
            }

            // The silo lists only what the caller may see: more than one account (or --account) means an admin's view.
            var accounts = parse.GetValue(account) is not null || vms.Select(v => v.Account).Distinct().Skip(1).Any();
            var table = accounts
                ? new TextTable("ID", "ACCOUNT", "NAME", "NODE", "STATE", "VCPUS", "MEMORY", "DISK", "IMAGE", "ADDRESS")
                : new TextTable("ID", "NAME", "NODE", "STATE", "VCPUS", "MEMORY", "DISK", "IMAGE", "ADDRESS");
            foreach (var v in vms)
            {
                Cell[] cells = [v.Id, v.Name, v.NodeId, Format.StateCell(v.State), v.VCpus.ToString(), Units.MiB(v.MemoryMiB),
                    Units.GiB(v.DiskGiB), v.Image ?? "-", v.Address ?? "-"];
                table.Add(accounts ? [cells[0], v.Account, .. cells[1..]] : cells);
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ShowCommand(FormApp app)
    {
        var id = CommandParts.VmArgument();
        var json = FormApp.JsonOption();
        var command = new Command("show", "Show one VM and its recent events") { id, json };
        command.SetAction((parse, ct) => app.WithReadsAsync(parse, ct, async reads =>
        {
            var (info, events, usage) = await reads.GetVmAsync(parse.GetValue(id)!, ct);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, new { vm = info, events, usage });
                return ExitCodes.Ok;
            }

            var grid = new Grid().AddColumn().AddColumn();
            void Row(string k, string v) => grid.AddRow($"[bold]{k}[/]", v);
            Row("ID", info.Id);
            Row("Name", Markup.Escape(info.Name));
            Row("Node", Markup.Escape(info.NodeId));
            Row("State", Format.State(info.State) + (info.Reason is null ? "" : $" ({Markup.Escape(info.Reason)})"));
            Row("vCPUs", info.Spec.VCpus.ToString());
            Row("Memory", Units.MiB(info.Spec.MemoryMiB));
            Row("Disk", Units.GiB(info.Spec.DiskGiB));
            if (info.Spec.Disks.Count > 0)
            {
                Row("Added disks", string.Join(", ", info.Spec.Disks.Select(d => $"{d.Id} {Units.MiB(d.SizeMiB)}")));
            }

            if (info.Spec.Nics.Count > 0)
            {
                Row("Added NICs", Markup.Escape(string.Join(", ", info.Spec.Nics.Select(n => $"{n.Id} {n.Mac} {n.Address}"))));
            }

            if (info.Spec.BalloonMiB is { } balloon)
            {
                Row("Memory now", $"{Units.MiB(balloon)} (balloon)");
            }
            Row("Image", Markup.Escape(info.Spec.Image ?? "-"));
            Row("Address", Markup.Escape(info.Address ?? "-"));
            Row("Ports", Markup.Escape(info.Ports is { Count: > 0 } ports ? string.Join(", ", ports) : "-"));
            Row("Restart", info.Spec.Restart.ToString());
            Row("Driver", Markup.Escape(info.HypervisorDriver));
            Row("CPU", usage is null ? "-" : $"{MetricsCells.Percent(usage.CpuUtilization)} of {info.Spec.VCpus} vCPU ({usage.CpuSeconds:0.#} s in all)");
            Row("Memory used", usage is null ? "-" : Units.Bytes(usage.MemoryBytes));
            Row("Created", info.CreatedAt.ToString("u"));
            Row("Updated", info.UpdatedAt.ToString("u"));
            app.Terminal.Console.Write(grid);
            app.Terminal.Console.WriteLine();
            foreach (var e in events.TakeLast(10))
            {
                app.Terminal.Console.MarkupLine(Markup.Escape(e.ToLine()));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Lifecycle(FormApp app, VmAction action)
    {
        var target = VmActions.Target(action);
        var id = CommandParts.VmArgument();
        var noWait = new Option<bool>("--no-wait") { Description = $"Return at once instead of waiting for {target}" };
        var command = new Command(VmActions.Verb(action), VmActions.Description(action)) { id, noWait };
        if (action == VmAction.Delete)
        {
            command.SetAction((parse, ct) => DeleteAsync(app, parse, parse.GetValue(id)!, ct));
            return command;
        }

        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = await VmHandles.ResolveAsync(client, parse.GetValue(id)!);
            var info = await VmActions.InvokeAsync(grain, action);
            if (!parse.GetValue(noWait) && target != VmState.Deleted && info.State != target)
            {
                info = await VmHandles.WaitForAsync(grain, target, ct);
            }

            app.Terminal.Console.MarkupLine($"VM [bold]{Markup.Escape(info.Name)}[/] ({info.Id}): {Format.State(info.State)}");
            if (info.State == VmState.Failed)
            {
                app.Terminal.Error.WriteLine($"form: VM {info.Name} failed: {info.Reason}");
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// Deletes through the front door, retried on a live silo when one dies. A retry that no longer finds the VM has done
    /// its job: the earlier attempt, whose answer was lost, deleted it.
    /// </summary>
    private static Task<int> DeleteAsync(FormApp app, ParseResult parse, string idOrName, CancellationToken ct) =>
        app.WithFrontDoorAsync(parse, ct, async (calls, inDoubt) =>
        {
            try
            {
                var info = await calls.DeleteVmAsync(idOrName, ct);
                app.Terminal.Console.MarkupLine($"VM [bold]{Markup.Escape(info.Name)}[/] ({info.Id}): {Format.State(info.State)}");
            }
            catch (FormationException ex) when (inDoubt && ex.Kind == ErrorKind.NotFound)
            {
                app.Terminal.Console.MarkupLine($"VM [bold]{Markup.Escape(idOrName)}[/]: {Format.State(VmState.Deleted)}");
            }

            return ExitCodes.Ok;
        });
}

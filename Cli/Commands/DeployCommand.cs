using System.CommandLine;
using Formation.Cli.Context;
using Formation.Cli.Output;
using Formation.Images;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form deploy [DIR]</c>: build the Formfile on a node, create a VM from it there, wait until the guest is ready,
/// and say how to reach it.
/// </summary>
public static class DeployCommand
{
    public static Command Create(FormApp app)
    {
        var dir = CommandParts.DirectoryArgument();
        var file = CommandParts.FileOption();
        var name = new Option<string?>("--name") { Description = "VM name (default: the Formfile's NAME)" };
        var node = new Option<string?>("--node") { Description = "Build and run on this node", HelpName = "node-id" };
        var vcpus = new Option<int?>("--vcpus") { Description = "vCPUs (default: the Formfile's VCPU)" };
        var memory = new Option<long?>("--memory") { Description = "Memory in MiB (default: the Formfile's MEM)", HelpName = "MiB" };
        var disk = new Option<long?>("--disk") { Description = "Disk in GiB (default: the Formfile's DISK)", HelpName = "GiB" };
        var restart = CommandParts.RestartOption();
        var noEgress = CommandParts.NoEgressOption();
        var publish = CommandParts.PublishOption();
        var json = new Option<bool>("--json") { Description = "Print the running VM as JSON (progress goes to stderr)" };
        var command = new Command("deploy", "Build a Formfile, run it as a VM, and wait until it is ready")
        {
            dir, file, name, node, vcpus, memory, disk, restart, noEgress, publish, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            LocalFormfile input;
            try
            {
                input = LocalFormfile.Load(parse.GetValue(dir), parse.GetValue(file));
            }
            catch (Exception ex)
            {
                return app.Fail(ex);
            }

            if (input.ErrorCount > 0)
            {
                foreach (var diagnostic in input.Diagnostics)
                {
                    app.Terminal.Error.WriteLine(diagnostic.ToString());
                }

                app.Terminal.Error.WriteLine($"form: {input.Path} has {input.ErrorCount} error(s); nothing was deployed.");
                return ExitCodes.Failed;
            }

            var formfile = input.Formfile!;
            var asJson = parse.GetValue(json);
            var progress = asJson ? app.Terminal.Error : app.Terminal.Out;
            var vmName = parse.GetValue(name) ?? formfile.Name.ToLowerInvariant();
            if (!Names.IsDnsLabel(vmName))
            {
                app.Terminal.Error.WriteLine($"form: '{vmName}' cannot be a VM name (lower-case letters, digits and '-'); give one with --name.");
                return ExitCodes.Failed;
            }

            return await app.WithClusterAsync(parse, ct, async client =>
            {
                var reference = ImageReference.Normalize(formfile.Name);
                var nodeId = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster)
                    .PlaceBuildAsync(new BuildPlacementRequest(reference, parse.GetValue(node), app.GatewayOf(parse)));
                var build = new RemoteBuild(client, nodeId, progress);
                var result = await build.RunAsync(input, reference, ct);
                if (result.Phase != ImageBuildPhase.Succeeded)
                {
                    return BuildReport.Write(app, result, asJson: false, build.Writer);
                }

                var manifest = result.Manifest!;
                progress.WriteLine($"Built {reference} {ImageReference.Short(manifest.Digest)} on {nodeId}; starting VM {vmName}...");
                var spec = new VmSpec(
                    vmName,
                    parse.GetValue(vcpus) ?? manifest.Resources.Vcpu,
                    parse.GetValue(memory) ?? manifest.Resources.MemoryMiB,
                    parse.GetValue(disk) ?? manifest.Resources.DiskGiB,
                    reference,
                    nodeId,
                    parse.GetValue(restart),
                    NoEgress: parse.GetValue(noEgress),
                    Publish: parse.GetValue(publish) is { Length: > 0 } ports ? ports : null);
                VmSpecRules.Validate(spec);
                var created = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(spec);
                var vm = client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
                var info = await VmHandles.WaitForAsync(vm, VmState.Running, ct, TimeSpan.FromMinutes(10));
                if (info.State != VmState.Running)
                {
                    app.Terminal.Error.WriteLine($"form: VM {vmName} ({info.Id}) is {info.State}: {info.Reason}");
                    app.Terminal.Error.WriteLine($"See `form vm logs {vmName}`; remove it with `form vm delete {vmName}`.");
                    return ExitCodes.Failed;
                }

                if (asJson)
                {
                    Json.Write(app.Terminal.Out, info);
                    return ExitCodes.Ok;
                }

                var o = app.Terminal.Out;
                o.WriteLine($"VM {info.Name} ({info.Id}) is running on {info.NodeId} at {info.Address ?? "(no network)"}: {info.Reason}.");
                foreach (var port in manifest.ExposedPorts)
                {
                    var scheme = port.Port is 80 or 8080 or 8000 ? "http://" : "";
                    o.WriteLine($"  {port}: {scheme}{info.Address}:{port.Port}");
                }

                o.WriteLine($"  console: form vm console {info.Name}   logs: form vm logs {info.Name} --follow   stop: form vm stop {info.Name}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}

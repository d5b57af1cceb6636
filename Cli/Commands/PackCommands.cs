using System.CommandLine;
using Formation.Cli.Context;
using Formation.Cli.Output;
using Formation.Images;
using Formation.Scheduling;

namespace Formation.Cli.Commands;

/// <summary><c>form pack validate|build</c>: check a Formfile offline; build it into an image on a node.</summary>
public static class PackCommands
{
    public static Command Create(FormApp app)
    {
        var pack = new Command("pack", "Formfiles: validate them and build them into images");
        pack.Subcommands.Add(ValidateCommand(app));
        pack.Subcommands.Add(BuildCommand(app));
        return pack;
    }

    private static Command ValidateCommand(FormApp app)
    {
        var dir = CommandParts.DirectoryArgument();
        var file = CommandParts.FileOption();
        var command = new Command("validate", "Check a Formfile and its COPY sources without building (no silo needed)") { dir, file };
        command.SetAction(parse =>
        {
            try
            {
                var input = LocalFormfile.Load(parse.GetValue(dir), parse.GetValue(file));
                foreach (var diagnostic in input.Diagnostics)
                {
                    app.Terminal.Out.WriteLine(diagnostic.ToString());
                }

                if (input.ErrorCount > 0)
                {
                    app.Terminal.Error.WriteLine($"form: {input.Path}: {input.ErrorCount} error(s), {input.WarningCount} warning(s).");
                    return ExitCodes.Failed;
                }

                var f = input.Formfile!;
                var steps = f.Instructions.Length;
                app.Terminal.Out.WriteLine(
                    $"{input.Path}: OK — image {f.Name} from {f.From}, {steps} build step{(steps == 1 ? "" : "s")}, " +
                    $"{f.Resources.Vcpu} vCPU, {f.Resources.MemoryMb} MB memory, {f.Resources.DiskGb} GB disk" +
                    (f.Entrypoint is null ? ", no entrypoint" : $", entrypoint {string.Join(' ', f.Entrypoint.Argv)}") +
                    (input.WarningCount > 0 ? $", {input.WarningCount} warning(s)" : "") + ".");
                return ExitCodes.Ok;
            }
            catch (Exception ex)
            {
                return app.Fail(ex);
            }
        });
        return command;
    }

    private static Command BuildCommand(FormApp app)
    {
        var dir = CommandParts.DirectoryArgument();
        var file = CommandParts.FileOption();
        var tag = new Option<string?>("--tag", "-t") { Description = "Image reference NAME[:TAG] (default: the Formfile's NAME, tag latest)", HelpName = "name[:tag]" };
        var node = new Option<string?>("--node") { Description = "Build on this node (default: the gateway's node, or any healthy node)", HelpName = "node-id" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON on stdout (progress goes to stderr)" };
        var command = new Command("build", "Build a Formfile into an image on a node, with live progress") { dir, file, tag, node, json };
        command.SetAction(async (parse, ct) =>
        {
            LocalFormfile input;
            string reference;
            try
            {
                input = LocalFormfile.Load(parse.GetValue(dir), parse.GetValue(file));
                if (input.ErrorCount > 0)
                {
                    foreach (var diagnostic in input.Diagnostics)
                    {
                        app.Terminal.Error.WriteLine(diagnostic.ToString());
                    }

                    app.Terminal.Error.WriteLine($"form: {input.Path} has {input.ErrorCount} error(s); nothing was built. Fix them and build again.");
                    return ExitCodes.Failed;
                }

                reference = ImageReference.Normalize(parse.GetValue(tag) ?? input.Formfile!.Name);
            }
            catch (Exception ex)
            {
                return app.Fail(ex);
            }

            var asJson = parse.GetValue(json);
            var progress = asJson ? app.Terminal.Error : app.Terminal.Out;
            foreach (var warning in input.Diagnostics)
            {
                progress.WriteLine(warning.ToString());
            }

            return await app.WithClusterAsync(parse, ct, async client =>
            {
                var nodeId = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster)
                    .PlaceBuildAsync(new BuildPlacementRequest(reference, parse.GetValue(node), app.GatewayOf(parse)));
                var build = new RemoteBuild(client, nodeId, progress);
                var result = await build.RunAsync(input, reference, ct);
                return BuildReport.Write(app, result, asJson, build.Writer);
            });
        });
        return command;
    }
}

using System.CommandLine;
using Formation.Cli.Context;
using Formation.Cli.Output;
using Formation.Connection;
using Formation.Images;

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

    internal static Argument<string?> DirectoryArgument() =>
        new("dir") { Description = "Build context directory (default: the current directory)", Arity = ArgumentArity.ZeroOrOne };

    internal static Option<string?> FileOption() =>
        new("--file", "-f") { Description = "The Formfile (default: DIR/Formfile)", HelpName = "path" };

    private static Command ValidateCommand(FormApp app)
    {
        var dir = DirectoryArgument();
        var file = FileOption();
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
        var dir = DirectoryArgument();
        var file = FileOption();
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
                var nodeId = await BuildNodes.ChooseAsync(client, parse.GetValue(node), Gateway(app, parse));
                var build = new RemoteBuild(client, nodeId, progress);
                var result = await build.RunAsync(input, reference, ct);
                return Report(app, result, asJson, build.Writer);
            });
        });
        return command;
    }

    internal static int Report(FormApp app, ImageBuildUpdate result, bool asJson, BuildProgressWriter writer)
    {
        if (asJson)
        {
            Json.Write(app.Terminal.Out, new { reference = result.Reference, node = result.NodeId, phase = result.Phase, digest = result.Manifest?.Digest, manifest = result.Manifest, failure = result.Failure });
        }

        switch (result.Phase)
        {
            case ImageBuildPhase.Succeeded:
                if (!asJson)
                {
                    var m = result.Manifest!;
                    app.Terminal.Out.WriteLine(
                        $"Built {result.Reference} {m.Digest} on node {result.NodeId} ({writer.StepsRun} of {writer.StepCount} steps ran, {writer.Elapsed.TotalSeconds:0.0} s)");
                }

                return ExitCodes.Ok;
            case ImageBuildPhase.Failed when result.Failure is { } f:
                var where = f.Line > 0 ? $" (Formfile line {f.Line})" : "";
                var code = f.ExitCode is { } c ? $", exit code {c}" : "";
                app.Terminal.Error.WriteLine($"form: build of {result.Reference} failed at step {f.Step}/{f.StepCount} '{f.Description}'{where}{code}: {f.Message}");
                foreach (var line in f.OutputTail)
                {
                    app.Terminal.Error.WriteLine($"  | {line}");
                }

                app.Terminal.Error.WriteLine("Nothing was registered.");
                return ExitCodes.Failed;
            default:
                app.Terminal.Error.WriteLine($"form: build of {result.Reference} {result.Phase.ToString().ToLowerInvariant()}; nothing was registered.");
                return ExitCodes.Failed;
        }
    }

    internal static string Gateway(FormApp app, ParseResult parse) =>
        parse.GetValue(app.Gateway) ?? Environment.GetEnvironmentVariable("FORMATION_GATEWAY") ?? ConnectionSettings.DefaultGateway;
}

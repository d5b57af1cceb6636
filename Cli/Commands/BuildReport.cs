using Formation.Cli.Context;
using Formation.Cli.Output;
using Formation.Images;

namespace Formation.Cli.Commands;

/// <summary>How a finished build is reported (by <c>form pack build</c> and <c>form deploy</c>).</summary>
public static class BuildReport
{
    public static int Write(FormApp app, ImageBuildUpdate result, bool asJson, BuildProgressWriter writer)
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
}

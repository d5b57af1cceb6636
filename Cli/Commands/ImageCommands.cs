using System.CommandLine;
using Formation.Cli.Context;
using Formation.Cli.Output;
using Formation.Errors;
using Formation.Images;

namespace Formation.Cli.Commands;

/// <summary><c>form image list|show|delete</c>.</summary>
public static class ImageCommands
{
    public static Command Create(FormApp app)
    {
        var image = new Command("image", "Images built from Formfiles");
        image.Subcommands.Add(ListCommand(app));
        image.Subcommands.Add(ShowCommand(app));
        image.Subcommands.Add(DeleteCommand(app));
        return image;
    }

    private static Argument<string> ReferenceArgument() =>
        new("ref") { Description = "Image NAME[:TAG], or a digest (sha256:HEX, or at least 12 hex digits)" };

    private static Command ListCommand(FormApp app)
    {
        var json = FormApp.JsonOption();
        var command = new Command("list", "List images: state, digest, size, nodes that hold them") { json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var images = await ListAsync(client);
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, images);
                return ExitCodes.Ok;
            }

            if (images.Count == 0)
            {
                app.Terminal.Out.WriteLine("No images. Build one with `form pack build DIR`.");
                return ExitCodes.Ok;
            }

            var now = DateTimeOffset.UtcNow;
            var table = new TextTable("REFERENCE", "STATE", "DIGEST", "SIZE", "NODES", "UPDATED");
            foreach (var i in images)
            {
                table.Add(i.Reference, StateCell(i), ImageReference.Short(i.Digest), i.Digest is null ? "-" : RemoteBuild.Bytes(i.SizeBytes),
                    i.Nodes.Count == 0 ? "-" : string.Join(",", i.Nodes), Format.Ago(i.UpdatedAt, now));
            }

            app.Terminal.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ShowCommand(FormApp app)
    {
        var reference = ReferenceArgument();
        var json = FormApp.JsonOption();
        var command = new Command("show", "Show an image: status, where it is, and what is in its manifest") { reference, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var grain = client.GetGrain<IImageGrain>(parse.GetValue(reference)!);
            var status = await grain.GetStatusAsync();
            if (status.State == ImageBuildState.Unknown)
            {
                throw FormationException.NotFound(
                    $"No image '{parse.GetValue(reference)}'{(status.Error is null ? "" : $" ({status.Error})")}. `form image list` shows the images.");
            }

            var manifest = await grain.GetManifestAsync();
            if (parse.GetValue(json))
            {
                Json.Write(app.Terminal.Out, new { status, manifest });
                return ExitCodes.Ok;
            }

            Render(app.Terminal.Out, status, manifest);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command DeleteCommand(FormApp app)
    {
        var reference = ReferenceArgument();
        var command = new Command("delete", "Delete an image from every node that holds it (refused while a VM uses it)") { reference };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var deleted = await client.GetGrain<IImageGrain>(parse.GetValue(reference)!).DeleteAsync();
            var nodes = deleted.Nodes.Count == 0 ? "" : $" from node(s) {string.Join(", ", deleted.Nodes)}";
            app.Terminal.Out.WriteLine($"Deleted image {deleted.Reference}{(deleted.Digest is null ? "" : $" ({deleted.Digest})")}{nodes}.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The catalog, with images that are building asked directly (a build whose node restarted settles then).</summary>
    private static async Task<IReadOnlyList<ImageStatus>> ListAsync(IClusterClient client)
    {
        var images = await client.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var current = await Task.WhenAll(images.Select(i => i.BuildSession is null && i.State != ImageBuildState.Building
            ? Task.FromResult(i)
            : client.GetGrain<IImageGrain>(i.Reference).GetStatusAsync()));
        return [.. current.Where(i => i.State != ImageBuildState.Unknown)];
    }

    private static Cell StateCell(ImageStatus image) => new(
        image.BuildSession is null || image.State == ImageBuildState.Building ? image.State.ToString() : $"{image.State} (rebuilding)",
        image.State switch
        {
            ImageBuildState.Ready => Ansi.Green,
            ImageBuildState.Failed => Ansi.Red,
            ImageBuildState.Building => Ansi.Yellow,
            _ => null,
        });

    private static void Render(TextWriter output, ImageStatus status, ImageManifest? manifest)
    {
        var rows = new List<(string Key, string Value)>
        {
            ("Reference", status.Reference),
            ("State", status.State + (status.BuildSession is null ? "" : $" (build {status.BuildSession} running)")),
            ("Digest", status.Digest ?? "-"),
            ("Size", status.Digest is null ? "-" : RemoteBuild.Bytes(status.SizeBytes)),
            ("Nodes", status.Nodes.Count == 0 ? "-" : string.Join(", ", status.Nodes)),
            ("Updated", status.UpdatedAt.ToString("u")),
        };
        if (status.Error is { } error)
        {
            rows.Add(("Error", error));
        }

        if (manifest is { } m)
        {
            rows.Add(("Name", m.Name));
            if (m.Description is { } description)
            {
                rows.Add(("Description", description));
            }

            rows.Add(("Base", m.Base.ToString()));
            rows.Add(("Created", m.CreatedAt.ToString("u")));
            rows.Add(("Root filesystem", $"{m.RootFilesystem.Kind} {m.RootFilesystem.FileName} ({RemoteBuild.Bytes(m.RootFilesystem.SizeBytes)})"));
            rows.Add(("Kernel", m.Kernel is { } k ? k.Path : "- (the hypervisor's default)"));
            rows.Add(("Command line", m.KernelCommandLine));
            rows.Add(("Resources", $"{m.Resources.Vcpu} vCPU, {m.Resources.MemoryMb} MB memory, {m.Resources.DiskGb} GB disk" +
                (m.Resources.Gpus.IsDefaultOrEmpty ? "" : $", {m.Resources.Gpus.Length} GPU request(s)")));
            rows.Add(("Entrypoint", m.Entrypoint is { } e ? string.Join(' ', e.Argv) : "-"));
            rows.Add(("Workdir", m.Workdir));
            rows.Add(("Environment", m.Environment.IsDefaultOrEmpty ? "-" : string.Join(" ", m.Environment.Select(v => $"{v.Name}={v.Value}"))));
            rows.Add(("Users", m.Users.IsDefaultOrEmpty ? "-" : string.Join(", ", m.Users.Select(u => u.Sudo ? u.Username + " (sudo)" : u.Username))));
            rows.Add(("Exposed ports", m.ExposedPorts.IsDefaultOrEmpty ? "-" : string.Join(", ", m.ExposedPorts)));
            rows.Add(("Layers", m.Layers.Length.ToString()));
        }

        var width = rows.Max(r => r.Key.Length) + 2;
        foreach (var (key, value) in rows)
        {
            output.WriteLine(key.PadRight(width) + value);
        }
    }
}

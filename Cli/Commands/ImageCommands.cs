using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
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
        new("ref") { Description = "Image NAME[:TAG] or a digest (sha256:HEX, or at least 12 hex digits) of your account; admins: ACCOUNT/NAME[:TAG] for another's" };

    private static Command ListCommand(FormApp app)
    {
        var json = FormApp.JsonOption();
        var account = new Option<string?>("--account") { Description = "Only this account's images (admins see every account's; members only their own)" };
        var command = new Command("list", "List images: yours, or (admins) every account's with an ACCOUNT column; state, digest, size, nodes") { json, account };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var images = await ImageReads.ListAsync(client);
            if (parse.GetValue(account) is { } only)
            {
                images = [.. images.Where(i => i.Owner() == only)];
            }

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
            // The silo lists only what the caller may see: more than one account (or --account) means an admin's view.
            var accounts = parse.GetValue(account) is not null || images.Select(i => i.Owner()).Distinct().Skip(1).Any();
            var table = accounts
                ? new TextTable("ACCOUNT", "REFERENCE", "STATE", "DIGEST", "SIZE", "NODES", "UPDATED")
                : new TextTable("REFERENCE", "STATE", "DIGEST", "SIZE", "NODES", "UPDATED");
            foreach (var i in images)
            {
                Cell[] cells = [i.Reference, StateCell(i), ImageReference.Short(i.Digest), i.Digest is null ? "-" : Units.Bytes(i.SizeBytes),
                    i.Nodes.Count == 0 ? "-" : string.Join(",", i.Nodes), Units.Ago(i.UpdatedAt, now)];
                table.Add(accounts ? [i.Owner(), .. cells] : cells);
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
            var (status, manifest) = await ImageReads.GetAsync(client, parse.GetValue(reference)!);
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

    private static Cell StateCell(ImageStatus image) => new(ImageReads.StateText(image), Format.Color(Tones.Of(image.State)));

    private static void Render(TextWriter output, ImageStatus status, ImageManifest? manifest)
    {
        var rows = ImageReads.Facts(status, manifest);
        var width = rows.Max(r => r.Key.Length) + 2;
        foreach (var (key, value) in rows)
        {
            output.WriteLine(key.PadRight(width) + value);
        }
    }
}

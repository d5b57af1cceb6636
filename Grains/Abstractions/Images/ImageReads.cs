using Formation.Display;
using Formation.Errors;

namespace Formation.Images;

/// <summary>The image reads of <c>form image list|show</c> and the dashboard's image pages.</summary>
public static class ImageReads
{
    /// <summary>
    /// The images the caller may see (a member's own, every account's for an admin), with images that are building asked
    /// directly (a build whose node restarted settles then).
    /// </summary>
    public static async Task<IReadOnlyList<ImageStatus>> ListAsync(IGrainFactory grains)
    {
        var images = await grains.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var current = await Task.WhenAll(images.Select(i => i.BuildSession is null && i.State != ImageBuildState.Building
            ? Task.FromResult(i)
            : grains.GetGrain<IImageGrain>(ImageNames.InAccount(i.Owner(), i.Reference)).GetStatusAsync()));
        return [.. current.Where(i => i.State != ImageBuildState.Unknown)];
    }

    /// <summary>One image's status and manifest; NotFound when there is no such image.</summary>
    public static async Task<(ImageStatus Status, ImageManifest? Manifest)> GetAsync(IGrainFactory grains, string reference)
    {
        var grain = grains.GetGrain<IImageGrain>(reference);
        var status = await grain.GetStatusAsync();
        if (status.State == ImageBuildState.Unknown)
        {
            throw FormationException.NotFound(
                $"No image '{reference}'{(status.Error is null ? "" : $" ({status.Error})")}. `form image list` shows the images.");
        }

        return (status, await grain.GetManifestAsync());
    }

    /// <summary>The state as listed: <c>Ready (rebuilding)</c> while a new version builds.</summary>
    public static string StateText(ImageStatus image) =>
        image.BuildSession is null || image.State == ImageBuildState.Building ? image.State.ToString() : $"{image.State} (rebuilding)";

    /// <summary>The facts <c>form image show</c> prints and the image page shows, in that order.</summary>
    public static IReadOnlyList<(string Key, string Value)> Facts(ImageStatus status, ImageManifest? manifest)
    {
        var rows = new List<(string Key, string Value)>
        {
            ("Reference", status.Reference),
            ("Account", status.Owner()),
            ("State", status.State + (status.BuildSession is null ? "" : $" (build {status.BuildSession} running)")),
            ("Digest", status.Digest ?? "-"),
            ("Size", status.Digest is null ? "-" : Units.Bytes(status.SizeBytes)),
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
            rows.Add(("Root filesystem", $"{m.RootFilesystem.Kind} {m.RootFilesystem.FileName} ({Units.Bytes(m.RootFilesystem.SizeBytes)})"));
            rows.Add(("Kernel", m.Kernel is { } k ? k.Path : "- (the hypervisor's default)"));
            rows.Add(("Command line", m.KernelCommandLine));
            rows.Add(("Resources", $"{m.Resources.Vcpu} vCPU, {Units.MiB(m.Resources.MemoryMiB)} memory, {Units.GiB(m.Resources.DiskGiB)} disk" +
                (m.Resources.Gpus.IsDefaultOrEmpty ? "" : $", {m.Resources.Gpus.Length} GPU request(s)")));
            rows.Add(("Entrypoint", m.Entrypoint is { } e ? string.Join(' ', e.Argv) : "-"));
            rows.Add(("Console", m.Console.ToString().ToLowerInvariant()));
            rows.Add(("Workdir", m.Workdir));
            rows.Add(("Environment", m.Environment.IsDefaultOrEmpty ? "-" : string.Join(" ", m.Environment.Select(v => $"{v.Name}={v.Value}"))));
            rows.Add(("Users", m.Users.IsDefaultOrEmpty ? "-" : string.Join(", ", m.Users.Select(u => u.Sudo ? u.Username + " (sudo)" : u.Username))));
            rows.Add(("Health check", m.Health is { } h
                ? $"{h} every {h.Interval.TotalSeconds:0.#} s, {h.Threshold} failed in a row, {h.StartPeriod.TotalSeconds:0.#} s to start"
                : "-"));
            rows.Add(("Exposed ports", m.ExposedPorts.IsDefaultOrEmpty ? "-" : string.Join(", ", m.ExposedPorts)));
            rows.Add(("Layers", m.Layers.Length.ToString()));
        }

        return rows;
    }
}

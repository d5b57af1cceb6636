using System.Text.Json;
using System.Text.RegularExpressions;
using Formation.Images;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// The node's images: <c>images/&lt;hex&gt;/manifest.json</c> plus the root filesystem, addressed by digest, and
/// tags in <c>images/refs/&lt;tag&gt;</c>. Look-ups take a tag, a full digest (<c>sha256:…</c> or 64 hex) or a
/// unique hex prefix of at least 12 characters. Registration is atomic (a complete directory is renamed in).
/// </summary>
public sealed partial class ImageStore(PackOptions options)
{
    private const int MinimumPrefix = 12;
    private const string ManifestFile = "manifest.json";

    private readonly PackPaths _paths = options.Paths;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
    private static partial Regex TagPattern();

    /// <summary>True when <paramref name="tag"/> can name an image (and cannot be mistaken for a digest).</summary>
    public static bool IsValidTag(string tag) => TagPattern().IsMatch(tag) && PackDigest.ParseHex(tag) is null && !tag.StartsWith("sha256:", StringComparison.Ordinal);

    public async Task<IReadOnlyList<ImageStoreEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var tags = await ReadTagsAsync(cancellationToken);
        var result = new List<ImageStoreEntry>();
        if (!Directory.Exists(_paths.Images))
        {
            return result;
        }

        foreach (var dir in Directory.EnumerateDirectories(_paths.Images))
        {
            var hex = Path.GetFileName(dir);
            if (PackDigest.ParseHex(hex) is null || await ReadManifestAsync(dir, cancellationToken) is not { } manifest)
            {
                continue;
            }

            result.Add(new ImageStoreEntry(manifest, [.. tags.Where(t => t.Value == manifest.Digest).Select(t => t.Key).Order()], dir));
        }

        return [.. result.OrderByDescending(e => e.Manifest.CreatedAt)];
    }

    /// <summary>The image named by a tag, digest or digest prefix; null if there is none (or the prefix is ambiguous).</summary>
    public async Task<ImageStoreEntry?> GetAsync(string nameOrDigest, CancellationToken cancellationToken = default)
    {
        var digest = await ResolveDigestAsync(nameOrDigest, cancellationToken);
        if (digest is null)
        {
            return null;
        }

        var dir = _paths.Image(PackDigest.ParseHex(digest)!);
        if (await ReadManifestAsync(dir, cancellationToken) is not { } manifest)
        {
            return null;
        }

        var tags = await ReadTagsAsync(cancellationToken);
        return new ImageStoreEntry(manifest, [.. tags.Where(t => t.Value == digest).Select(t => t.Key).Order()], dir);
    }

    /// <summary>
    /// Deletes by tag: removes the tag, and the image when no other tag points at it. Deletes by digest: removes the
    /// image and all its tags. Returns false when nothing matched.
    /// </summary>
    public async Task<bool> DeleteAsync(string nameOrDigest, CancellationToken cancellationToken = default)
    {
        var digest = await ResolveDigestAsync(nameOrDigest, cancellationToken);
        if (digest is null)
        {
            return false;
        }

        var tags = await ReadTagsAsync(cancellationToken);
        var byTag = tags.ContainsKey(nameOrDigest);
        if (byTag)
        {
            File.Delete(Path.Combine(_paths.Refs, nameOrDigest));
            if (tags.Any(t => t.Key != nameOrDigest && t.Value == digest))
            {
                return true;
            }
        }
        else
        {
            foreach (var tag in tags.Where(t => t.Value == digest))
            {
                File.Delete(Path.Combine(_paths.Refs, tag.Key));
            }
        }

        var dir = _paths.Image(PackDigest.ParseHex(digest)!);
        var trash = _paths.NewTempDirectory("delete");
        try
        {
            Directory.Move(dir, Path.Combine(trash, "image")); // atomic: readers see the image whole or not at all
        }
        catch (DirectoryNotFoundException)
        {
        }

        HostPaths.DeleteTree(trash);
        return true;
    }

    /// <summary>Removes <paramref name="tag"/> and nothing else: the image it pointed at stays, even with no tag left.</summary>
    public bool Untag(string tag)
    {
        var path = Path.Combine(_paths.Refs, tag);
        if (!IsValidTag(tag) || !File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>Points <paramref name="tag"/> at <paramref name="digest"/> (replacing what it pointed at).</summary>
    public async Task TagAsync(string digest, string tag, CancellationToken cancellationToken = default)
    {
        if (!IsValidTag(tag))
        {
            throw new ArgumentException($"'{tag}' is not a valid image tag: use letters, digits, '.', '_', ':' and '-' (not a digest)", nameof(tag));
        }

        _paths.EnsureCreated();
        var path = Path.Combine(_paths.Refs, tag);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(temp, digest + "\n", cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Registers an image whose root filesystem is <paramref name="rootfsPath"/> (hard-linked, not copied): computes
    /// the digest, writes the manifest, and renames the finished directory into place. Idempotent.
    /// </summary>
    internal async Task<ImageManifest> RegisterAsync(ImageManifest manifest, string rootfsPath, CancellationToken cancellationToken)
    {
        var digest = ComputeDigest(manifest);
        var hex = PackDigest.ParseHex(digest)!;
        var target = _paths.Image(hex);
        if (await ReadManifestAsync(target, cancellationToken) is { } existing)
        {
            return existing;
        }

        var registered = manifest with { Digest = digest };
        _paths.EnsureCreated();
        var staging = _paths.NewTempDirectory("image");
        try
        {
            HostLinks.HardLink(rootfsPath, Path.Combine(staging, manifest.RootFilesystem.FileName));
            await PackJson.WriteAtomicallyAsync(Path.Combine(staging, ManifestFile), registered, cancellationToken);
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                return await ReadManifestAsync(target, cancellationToken) ?? registered;
            }

            return registered;
        }
        finally
        {
            HostPaths.DeleteTree(staging);
        }
    }

    /// <summary>SHA-256 of the canonical manifest JSON without <c>digest</c> and <c>createdAt</c>.</summary>
    public static string ComputeDigest(ImageManifest manifest)
    {
        var canonical = JsonSerializer.Serialize(manifest with { Digest = "", CreatedAt = default }, PackJson.Canonical);
        return PackDigest.Format(PackDigest.Hex(canonical));
    }

    private async Task<string?> ResolveDigestAsync(string nameOrDigest, CancellationToken cancellationToken)
    {
        if (PackDigest.ParseHex(nameOrDigest) is { } hex)
        {
            return Directory.Exists(_paths.Image(hex)) ? PackDigest.Format(hex) : null;
        }

        var tags = await ReadTagsAsync(cancellationToken);
        if (tags.TryGetValue(nameOrDigest, out var tagged))
        {
            return tagged;
        }

        var prefix = nameOrDigest.StartsWith("sha256:", StringComparison.Ordinal) ? nameOrDigest[7..] : nameOrDigest;
        if (prefix.Length < MinimumPrefix || !prefix.All(char.IsAsciiHexDigitLower) || !Directory.Exists(_paths.Images))
        {
            return null;
        }

        var matches = Directory.EnumerateDirectories(_paths.Images, prefix + "*").Select(Path.GetFileName).Where(n => PackDigest.ParseHex(n!) is not null).ToList();
        return matches.Count == 1 ? PackDigest.Format(matches[0]!) : null;
    }

    private async Task<Dictionary<string, string>> ReadTagsAsync(CancellationToken cancellationToken)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(_paths.Refs))
        {
            return tags;
        }

        foreach (var file in Directory.EnumerateFiles(_paths.Refs))
        {
            var name = Path.GetFileName(file);
            if (IsValidTag(name))
            {
                tags[name] = (await File.ReadAllTextAsync(file, cancellationToken)).Trim();
            }
        }

        return tags;
    }

    private static async Task<ImageManifest?> ReadManifestAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, ManifestFile);
        try
        {
            return File.Exists(path) ? await PackJson.ReadAsync<ImageManifest>(path, cancellationToken) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

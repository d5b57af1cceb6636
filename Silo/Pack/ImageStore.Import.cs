using System.Text.RegularExpressions;
using Formation.Images;
using Formation.Silo.Platform;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Pack;

/// <summary>
/// Images that travel between nodes: this node serves its images' files in <see cref="ImageChunk"/>s, and takes in
/// an image fetched from another node only once the manifest hashes to the digest that was asked for and every file
/// matches the manifest's digest and size. The fetched directory is renamed into place whole, or not at all.
/// </summary>
public sealed partial class ImageStore
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex FileNamePattern();

    /// <summary>The manifest of the image <paramref name="digest"/> (full digest only) if this store holds it whole; else null.</summary>
    public async Task<ImageManifest?> FindAsync(string digest, CancellationToken cancellationToken = default) =>
        PackDigest.ParseHex(digest) is { } hex ? await ReadManifestAsync(_paths.Image(hex), cancellationToken) : null;

    /// <summary>One chunk of <paramref name="fileName"/> of the stored image <paramref name="digest"/>, from <paramref name="offset"/>.</summary>
    public async Task<ImageChunk> ReadChunkAsync(string digest, string fileName, long offset, CancellationToken cancellationToken = default)
    {
        using var handle = OpenServed(digest, fileName);
        return await FileChunks.ReadAsync(handle, offset, $"{fileName} of image {digest}", cancellationToken);
    }

    /// <summary>
    /// Opens <paramref name="fileName"/> of the stored image <paramref name="digest"/> for reading, to serve it to another
    /// node (in chunks or on the image stream): a plain file name of an image this store holds, never its manifest.
    /// </summary>
    public SafeFileHandle OpenServed(string digest, string fileName)
    {
        var hex = PackDigest.ParseHex(digest) ?? throw new ArgumentException($"'{digest}' is not a full image digest (sha256:<64 hex>)", nameof(digest));
        if (!FileNamePattern().IsMatch(fileName) || fileName == ManifestFile)
        {
            throw new ArgumentException($"'{fileName}' is not a file of an image", nameof(fileName));
        }

        var path = Path.Combine(_paths.Image(hex), fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"this node does not hold {fileName} of image {digest}", path);
        }

        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
    }

    /// <summary>
    /// Checks a manifest that came from another node before anything of it is written: it must hash to
    /// <paramref name="digest"/> (the one the cluster's record names) and describe files this store can hold.
    /// </summary>
    public static void CheckFetched(string digest, ImageManifest manifest)
    {
        if (PackDigest.ParseHex(digest) is null)
        {
            throw new InvalidDataException($"'{digest}' is not a full image digest (sha256:<64 hex>)");
        }

        var computed = ComputeDigest(manifest);
        if (manifest.Digest != digest || computed != digest)
        {
            throw new InvalidDataException($"digest mismatch: the manifest the source sent hashes to {computed}, not {digest}");
        }

        var root = manifest.RootFilesystem;
        if (!FileNamePattern().IsMatch(root.FileName) || root.FileName == ManifestFile)
        {
            throw new InvalidDataException($"the manifest names an invalid root filesystem file '{root.FileName}'");
        }

        if (root.SizeBytes < 0 || !root.Digest.StartsWith(ChunkedDigest.Prefix, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"the manifest's root filesystem has an unusable size ({root.SizeBytes}) or digest ('{root.Digest}')");
        }
    }

    /// <summary>
    /// Registers a fetched image whose files are complete in <paramref name="staging"/> (a directory of this store's
    /// scratch space): verifies the manifest and every file's size and digest, writes the manifest, and renames the
    /// directory into place. On any mismatch nothing enters the store (the caller deletes the staging directory).
    /// <paramref name="receivedDigest"/>: the file's digest computed from exactly the bytes written as they arrived in
    /// order (<see cref="ChunkedDigestBuilder"/>), which spares reading the file back; otherwise the file is digested here.
    /// </summary>
    internal async Task<ImageManifest> ImportAsync(string digest, ImageManifest manifest, string staging, CancellationToken cancellationToken,
        string? receivedDigest = null)
    {
        CheckFetched(digest, manifest);
        var target = _paths.Image(PackDigest.ParseHex(digest)!);
        if (await ReadManifestAsync(target, cancellationToken) is { } existing)
        {
            return existing;
        }

        var root = manifest.RootFilesystem;
        var file = Path.Combine(staging, root.FileName);
        var length = new FileInfo(file).Length;
        if (length != root.SizeBytes)
        {
            throw new InvalidDataException($"size mismatch: {root.FileName} has {length} bytes, the manifest says {root.SizeBytes}");
        }

        var actual = receivedDigest ?? await ChunkedDigest.ComputeAsync(file, cancellationToken);
        if (actual != root.Digest)
        {
            throw new InvalidDataException($"digest mismatch: {root.FileName} hashes to {actual}, the manifest says {root.Digest}");
        }

        await PackJson.WriteAtomicallyAsync(Path.Combine(staging, ManifestFile), manifest, cancellationToken);
        _paths.EnsureCreated();
        try
        {
            Directory.Move(staging, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            return await ReadManifestAsync(target, cancellationToken) ?? manifest; // fetched or built meanwhile by another path
        }

        return manifest;
    }

    /// <summary>A fresh scratch directory for a fetch (under <c>pack/tmp</c>, so a dead silo's leftovers are found and removed).</summary>
    internal string NewFetchDirectory()
    {
        _paths.EnsureCreated();
        return _paths.NewTempDirectory("fetch");
    }

    /// <summary>Deletes a scratch directory made by <see cref="NewFetchDirectory"/> (nothing if it was renamed into the store).</summary>
    internal static void DeleteScratch(string directory) => HostPaths.DeleteTree(directory);
}

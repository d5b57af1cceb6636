using Formation.Images;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// Flattens the layers into the image's root filesystem: a read-only overlay of all layers is mounted inside the
/// build sandbox (<see cref="BuildSandbox"/>: its user namespace maps the layer store's shifted owners back to the
/// in-image owners, so the artifact records root as 0), then packed as an uncompressed newc cpio (tiny: fastest to unpack under emulation) or copied
/// into a sparse ext4 image of DISK gigabytes with <c>mkfs.ext4 -d</c> (no loop device, no host mount).
/// Results are cached under <c>pack/artifacts/&lt;key&gt;</c>, committed by rename.
/// </summary>
internal sealed class RootfsAssembler(PackPaths paths, PackOptions options)
{
    private const string Script = """
        set -eu
        layers=$1 lower=$2 merged=$3 out=$4 kind=$5 size=$6
        cd "$layers"
        case "$lower" in
          *:*) mount -t overlay formation-pack -o "ro,userxattr,lowerdir=$lower" "$merged" ;;
          *) mount --bind -o ro "$lower" "$merged" ;;
        esac
        cd "$merged"
        if [ "$kind" = initramfs ]; then
          find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet > "$out"
        else
          truncate -s "$size" "$out"
          mkfs.ext4 -q -F -L formation-root -d "$merged" "$out"
        fi
        """;

    /// <summary>The assembly script: part of the artifact cache key.</summary>
    public static string Recipe => Script;

    private readonly BuildSandbox _sandbox = new(options);

    public async Task<RootfsArtifact?> TryGetAsync(string key, CancellationToken cancellationToken)
    {
        var file = Path.Combine(paths.Artifact(key), "artifact.json");
        return File.Exists(file) ? await PackJson.ReadAsync<RootfsArtifact>(file, cancellationToken) : null;
    }

    public string PathOf(RootfsArtifact artifact) => Path.Combine(paths.Artifact(artifact.Key), artifact.FileName);

    public async Task<RootfsArtifact> AssembleAsync(
        string key, IReadOnlyList<string> layersTopFirst, ImageArtifactKind kind, int diskGb, Action<string> onLine, CancellationToken cancellationToken)
    {
        var staging = paths.NewTempDirectory("rootfs");
        try
        {
            var fileName = kind == ImageArtifactKind.Initramfs ? "rootfs.cpio" : "rootfs.ext4";
            var output = Path.Combine(staging, fileName);
            var merged = Path.Combine(staging, "merged");
            Directory.CreateDirectory(merged);
            var lower = string.Join(':', layersTopFirst.Select(k => k + "/root"));
            _sandbox.Own(staging);
            _sandbox.Own(merged);
            var result = await _sandbox.RunAsync(staging, Script,
                [paths.Layers, lower, merged, output, kind == ImageArtifactKind.Initramfs ? "initramfs" : "ext4", $"{diskGb}G"],
                network: null, onLine, IsolatedRunner.BaseEnvironment(), stdin: null, cancellationToken);
            if (result.ExitCode != 0)
            {
                var full = result.OutputTail.Any(l => l.Contains("Could not allocate", StringComparison.OrdinalIgnoreCase)
                    || l.Contains("No space", StringComparison.OrdinalIgnoreCase));
                throw new BuildStepException(
                    full ? $"the root filesystem does not fit into DISK {diskGb} GB; raise DISK" : "assembling the root filesystem failed",
                    result.ExitCode, result.OutputTail);
            }

            Directory.Delete(merged);
            HostOwnership.Chown(output, 0, 0);
            HostOwnership.Chown(staging, 0, 0);
            var digest = await ChunkedDigest.ComputeAsync(output, cancellationToken);
            var artifact = new RootfsArtifact(key, kind, fileName, digest, new FileInfo(output).Length);
            await PackJson.WriteAtomicallyAsync(Path.Combine(staging, "artifact.json"), artifact, cancellationToken);
            try
            {
                Directory.Move(staging, paths.Artifact(key));
            }
            catch (IOException) when (File.Exists(Path.Combine(paths.Artifact(key), "artifact.json")))
            {
                HostPaths.DeleteTree(staging);
                return (await TryGetAsync(key, cancellationToken))!;
            }

            return artifact;
        }
        finally
        {
            HostPaths.DeleteTree(staging);
        }
    }
}

using Formation.Silo.Platform;
namespace Formation.Silo.Pack;

/// <summary>
/// On-disk layout under the data directory:
/// <c>images/&lt;hex&gt;/</c> (manifest.json + root filesystem), <c>images/refs/&lt;tag&gt;</c> (tag → digest),
/// <c>pack/layers/&lt;key&gt;/root</c> (overlay layer trees), <c>pack/artifacts/&lt;key&gt;/</c> (assembled root
/// filesystems), <c>pack/tmp/&lt;pid&gt;-&lt;id&gt;/</c> (work in progress), <c>pack/locks/</c>.
/// </summary>
internal sealed record PackPaths(string DataDirectory, long BuildGid = 0)
{
    public string Images => Path.Combine(DataDirectory, "images");

    public string Refs => Path.Combine(Images, "refs");

    public string Pack => Path.Combine(DataDirectory, "pack");

    public string Layers => Path.Combine(Pack, "layers");

    public string Artifacts => Path.Combine(Pack, "artifacts");

    public string Temp => Path.Combine(Pack, "tmp");

    public string Locks => Path.Combine(Pack, "locks");

    public string Layer(string key) => Path.Combine(Layers, key);

    public string LayerRoot(string key) => Path.Combine(Layers, key, "root");

    public string Artifact(string key) => Path.Combine(Artifacts, key);

    public string Image(string hex) => Path.Combine(Images, hex);

    public void EnsureCreated()
    {
        foreach (var dir in new[] { Images, Refs, Layers, Artifacts, Temp, Locks })
        {
            Directory.CreateDirectory(dir);
        }

        // The layer store holds other tenants' build results (setuid programs of the build range included): no other
        // local user may enter it. Only root and the build sandbox's root (its group, to find its layers) may.
        HostOwnership.Chown(Pack, 0, BuildGid);
        File.SetUnixFileMode(Pack, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
    }

    /// <summary>A fresh scratch directory named after this process, so stale ones from dead processes can be found.</summary>
    public string NewTempDirectory(string purpose)
    {
        var dir = Path.Combine(Temp, $"{Environment.ProcessId}-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}

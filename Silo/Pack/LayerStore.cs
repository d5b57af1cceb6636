using Formation.Silo.Platform;
namespace Formation.Silo.Pack;

/// <summary>
/// The layer cache, <c>pack/layers/&lt;key&gt;/</c>: each layer is an overlay upper directory (<c>root/</c>) plus
/// <c>layer.json</c>. Layers are built in <c>pack/tmp</c> and renamed into place only when complete, so a
/// layer directory that exists is always whole. Two builds racing for the same key keep the first.
/// </summary>
internal sealed class LayerStore(PackPaths paths)
{
    public bool Exists(string key) => File.Exists(Path.Combine(paths.Layer(key), "layer.json"));

    public async Task<LayerInfo?> ReadAsync(string key, CancellationToken cancellationToken) =>
        Exists(key) ? await PackJson.ReadAsync<LayerInfo>(Path.Combine(paths.Layer(key), "layer.json"), cancellationToken) : null;

    /// <summary>A new staging directory; the layer tree goes into its <c>root</c> subdirectory.</summary>
    public string BeginStaging(string purpose) => paths.NewTempDirectory(purpose);

    /// <summary>Moves a finished staging directory into the cache under <paramref name="info"/>'s key.</summary>
    public async Task CommitAsync(string staging, LayerInfo info, CancellationToken cancellationToken)
    {
        foreach (var leftover in Directory.EnumerateDirectories(staging).Where(d => Path.GetFileName(d) != "root"))
        {
            HostPaths.DeleteTree(leftover);
        }

        await PackJson.WriteAtomicallyAsync(Path.Combine(staging, "layer.json"), info, cancellationToken);
        var target = paths.Layer(info.Key);
        try
        {
            Directory.Move(staging, target);
        }
        catch (IOException) when (Exists(info.Key))
        {
            HostPaths.DeleteTree(staging); // another build committed the same layer first
        }
    }
}

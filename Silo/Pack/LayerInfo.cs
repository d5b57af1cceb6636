namespace Formation.Silo.Pack;

/// <summary><c>pack/layers/&lt;key&gt;/layer.json</c>: what made a cached layer, and facts its step reported (e.g. uids).</summary>
internal sealed record LayerInfo(
    string Key,
    string Description,
    DateTimeOffset CreatedAt,
    Dictionary<string, string> Properties);

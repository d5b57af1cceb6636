using System.Text.Json;
using System.Text.Json.Serialization;

namespace Formation.Silo.Pack;

/// <summary>JSON settings for manifests and cache metadata: camelCase, enums as strings.</summary>
internal static class PackJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    /// <summary>Compact form used for digests (property order is declaration order, so it is stable).</summary>
    public static JsonSerializerOptions Canonical { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = indented,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static async Task WriteAtomicallyAsync<T>(string path, T value, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        await using (var stream = File.Create(temp))
        {
            await JsonSerializer.SerializeAsync(stream, value, Options, cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
    }

    public static async Task<T?> ReadAsync<T>(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<T>(stream, Options, cancellationToken);
    }
}

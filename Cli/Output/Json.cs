using System.Text.Json;
using System.Text.Json.Serialization;

namespace Formation.Cli.Output;

/// <summary>The JSON every <c>--json</c> prints: camelCase, enums as strings, indented.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>One object per line (for streams of events).</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };

    public static void Write<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Storage;

namespace Formation.Silo.Storage;

/// <summary>
/// Stores grain state as plain System.Text.Json UTF-8 JSON: camelCase names, enums as strings,
/// and no .NET type names, so renaming or moving a state type does not break stored rows.
/// The declared state type (the <c>T</c> of <c>IPersistentState&lt;T&gt;</c>) decides the shape on
/// both write and read.
/// </summary>
public sealed class FormationJsonGrainStorageSerializer : IGrainStorageSerializer
{
    private readonly JsonSerializerOptions _options;

    public FormationJsonGrainStorageSerializer()
        : this(CreateDefaultOptions())
    {
    }

    public FormationJsonGrainStorageSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The options used when none are given; a new instance on each call.</summary>
    public static JsonSerializerOptions CreateDefaultOptions() => new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, _options));

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            return JsonSerializer.Deserialize<T>(input.ToMemory().Span, _options);
        }
        catch (JsonException e)
        {
            throw new JsonException(
                $"Stored grain state cannot be read as {typeof(T).Name}: {e.Message} Stored JSON starts with: {Preview(input)}", e);
        }
    }

    private static string Preview(BinaryData input)
    {
        var text = input.ToString();
        return text.Length <= 200 ? text : text[..200] + "...";
    }
}

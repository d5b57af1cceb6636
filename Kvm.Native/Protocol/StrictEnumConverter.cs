using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// Enums travel as their names (a member's <see cref="JsonStringEnumMemberNameAttribute"/>, else the member name; read
/// case-insensitively), never as numbers: a number would let an undefined value such as <c>"compat": 7</c> through. An
/// unknown name is an error that lists the names there are.
/// </summary>
internal sealed class StrictEnumConverter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    private static readonly (TEnum Value, string Name)[] Names =
    [
        .. Enum.GetValues<TEnum>().Select(v =>
            (v, typeof(TEnum).GetField(v.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? v.ToString())),
    ];

    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        foreach (var (value, name) in Names)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        var got = text is null ? reader.TokenType.ToString().ToLowerInvariant() : $"\"{text}\"";
        throw new JsonException($"{got} is not a {typeof(TEnum).Name}: use one of {string.Join(", ", Names.Select(n => $"\"{n.Name}\""))}");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
    {
        foreach (var (candidate, name) in Names)
        {
            if (EqualityComparer<TEnum>.Default.Equals(candidate, value))
            {
                writer.WriteStringValue(name);
                return;
            }
        }

        throw new JsonException($"{value} is not a defined {typeof(TEnum).Name}");
    }
}

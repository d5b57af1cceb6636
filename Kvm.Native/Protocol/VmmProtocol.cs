using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Formation.Vmm.Protocol;

/// <summary>
/// Reads and writes the formation-vmm contract: the config file, and the control socket's lines (one JSON object
/// per line in each direction, see Kvm.Native/README.md). Both ends use these methods, so what one writes is what the
/// other reads. Readers throw <see cref="InvalidDataException"/> with a message that says what was wrong.
/// </summary>
public static class VmmProtocol
{
    /// <summary>Longest request or reply line either end accepts.</summary>
    public const int MaxLineBytes = 1 << 20;

    /// <summary>The control commands (<c>"cmd"</c> values) in the order the README lists them.</summary>
    public static IReadOnlyList<string> Commands { get; } =
        [.. VmmJson.Default.VmmRequest.PolymorphismOptions!.DerivedTypes.Select(d => (string)d.TypeDiscriminator!)];

    private static string CommandList => string.Join(", ", Commands);

    public static string SerializeConfig(VmmConfig config) =>
        JsonSerializer.Serialize(config, new VmmJson(new JsonSerializerOptions(VmmJson.Default.Options) { WriteIndented = true }).VmmConfig);

    public static VmmConfig ParseConfig(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, VmmJson.Default.VmmConfig) ?? throw new InvalidDataException("the VM config is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"invalid VM config: {e.Message}", e);
        }
    }

    /// <summary>The request as one line (with its newline).</summary>
    public static byte[] SerializeRequest(VmmRequest request) => Line(JsonSerializer.SerializeToUtf8Bytes(request, VmmJson.Default.VmmRequest));

    /// <summary>Parses one request line; the error names the commands there are.</summary>
    public static VmmRequest ParseRequest(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, VmmJson.Default.VmmRequest)
                ?? throw new InvalidDataException($"a request is a JSON object like {{\"cmd\":\"info\"}} with cmd one of {CommandList}");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new InvalidDataException(
                $"bad request ({e.Message}): send one JSON object per line like {{\"cmd\":\"info\"}}, with cmd one of {CommandList}", e);
        }
    }

    /// <summary>The <c>"cmd"</c> name of <paramref name="request"/>.</summary>
    public static string CommandOf(VmmRequest request) =>
        (string)VmmJson.Default.VmmRequest.PolymorphismOptions!.DerivedTypes.First(d => d.DerivedType == request.GetType()).TypeDiscriminator!;

    public static byte[] SerializeReply<TResult>(VmmReply<TResult> reply) => Line(JsonSerializer.SerializeToUtf8Bytes(reply, ReplyType<TResult>()));

    public static byte[] SerializeFailure(VmmFailure failure) => Line(JsonSerializer.SerializeToUtf8Bytes(failure, VmmJson.Default.VmmFailure));

    /// <summary>Parses a reply line (success or failure) to a request whose result is a <typeparamref name="TResult"/>.</summary>
    public static VmmReply<TResult> ParseReply<TResult>(ReadOnlySpan<byte> line)
    {
        try
        {
            var reply = JsonSerializer.Deserialize(line, ReplyType<TResult>());
            return reply is { Ok: true, Result: not null } or { Ok: false, Error: not null }
                ? reply
                : throw new InvalidDataException($"formation-vmm's reply has neither a result nor an error: {Encoding.UTF8.GetString(line)}");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"formation-vmm's reply is not what this version reads ({e.Message}): {Encoding.UTF8.GetString(line)}", e);
        }
    }

    private static JsonTypeInfo<VmmReply<TResult>> ReplyType<TResult>() =>
        VmmJson.Default.GetTypeInfo(typeof(VmmReply<TResult>)) as JsonTypeInfo<VmmReply<TResult>>
        ?? throw new NotSupportedException($"{typeof(TResult).Name} is not a control result (register VmmReply<{typeof(TResult).Name}> in VmmJson)");

    private static byte[] Line(byte[] json)
    {
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}

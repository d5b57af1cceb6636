using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Formation.Silo.Identity;

/// <summary>The CA holder's first line on a join connection: the CA certificate, which the joiner checks against its token's pin.</summary>
public sealed record JoinHello(string CaPem);

/// <summary>The joiner's request: the token's secret, its node id and addresses, and a CSR for the key it made.</summary>
public sealed record JoinRequest(string Secret, string NodeId, IReadOnlyList<string> Addresses, string CsrPem);

/// <summary>The answer: the node certificate, or why there is none.</summary>
public sealed record JoinAnswer(string? CertificatePem, string? Error);

[JsonSerializable(typeof(JoinHello))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinAnswer))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class JoinJson : JsonSerializerContext;

/// <summary>One JSON document per line, each at most <see cref="MaxLine"/> bytes, over the join connection's TLS stream.</summary>
internal static class JoinWire
{
    public const int MaxLine = 16 * 1024;

    public static async Task WriteAsync<T>(Stream stream, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, type);
        await stream.WriteAsync(bytes, cancellationToken);
        await stream.WriteAsync("\n"u8.ToArray(), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    public static async Task<T> ReadAsync<T>(Stream stream, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxLine];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                throw new InvalidDataException($"a join message is longer than {MaxLine} bytes.");
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length, 1), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("the other side closed the join connection.");
            }

            if (buffer[length] == (byte)'\n')
            {
                break;
            }

            length++;
        }

        return JsonSerializer.Deserialize(buffer.AsSpan(0, length), type)
            ?? throw new InvalidDataException($"a join message was empty: {Encoding.UTF8.GetString(buffer, 0, Math.Min(length, 80))}");
    }
}

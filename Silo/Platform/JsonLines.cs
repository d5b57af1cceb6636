using System.Text;
using System.Text.Json;

namespace Formation.Silo.Platform;

/// <summary>One JSON document per line, each at most <see cref="MaxLine"/> bytes, over a connection between nodes (the join connection, the image stream).</summary>
internal static class JsonLines
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
                throw new InvalidDataException($"a message is longer than {MaxLine} bytes.");
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length, 1), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("the other side closed the connection.");
            }

            if (buffer[length] == (byte)'\n')
            {
                break;
            }

            length++;
        }

        return JsonSerializer.Deserialize(buffer.AsSpan(0, length), type)
            ?? throw new InvalidDataException($"a message was empty: {Encoding.UTF8.GetString(buffer, 0, Math.Min(length, 80))}");
    }
}

namespace Formation.Grains.Images;

/// <summary>A build context arriving in chunks: appended in order, checked (length, SHA-256), then read by the builder. Dispose deletes it.</summary>
public interface IContextUpload : IDisposable
{
    /// <summary>Bytes received so far.</summary>
    long Length { get; }

    /// <summary>Appends <paramref name="chunk"/>, which must start at <see cref="Length"/>.</summary>
    Task AppendAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken);

    /// <summary>Lower-case hex SHA-256 of what was received.</summary>
    string Sha256();

    /// <summary>Reads the received archive from the start.</summary>
    Stream OpenRead();
}

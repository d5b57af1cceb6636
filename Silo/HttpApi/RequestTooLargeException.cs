namespace Formation.Silo.HttpApi;

/// <summary>A request body (or a build context, after decompression) is over its limit: 413.</summary>
public sealed class RequestTooLargeException(long maxBytes, string what = "The request body") : Exception($"{what} is larger than {maxBytes} bytes.")
{
    public long MaxBytes { get; } = maxBytes;
}

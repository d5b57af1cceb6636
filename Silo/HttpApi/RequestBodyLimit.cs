using Microsoft.AspNetCore.Http;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The request body limit of a route (endpoint metadata; routes without it get <see cref="HttpApiOptions.MaxRequestBodyBytes"/>),
/// and the middleware that enforces it. The limit is enforced here rather than by Kestrel alone because the framework
/// reads a JSON body as an <see cref="IOException"/>-guarded operation and lets Kestrel answer an over-long one with an
/// empty 413; this way a body over the limit gets the same JSON error as every other failure.
/// </summary>
public sealed record RequestBodyLimit(long Bytes)
{
    /// <summary>Checks the declared length before the route runs, and wraps the body so reading past the limit throws <see cref="RequestTooLargeException"/>.</summary>
    internal static Func<HttpContext, RequestDelegate, Task> Middleware(long defaultBytes) => async (context, next) =>
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>()?.Bytes ?? defaultBytes;
        if (context.Request.ContentLength > limit)
        {
            throw new RequestTooLargeException(limit);
        }

        context.Request.Body = new LimitedReadStream(context.Request.Body, limit);
        await next(context);
    };
}

/// <summary>A request body (or a build context, after decompression) is over its limit: 413.</summary>
public sealed class RequestTooLargeException(long maxBytes, string what = "The request body") : Exception($"{what} is larger than {maxBytes} bytes.")
{
    public long MaxBytes { get; } = maxBytes;
}

/// <summary>A read-only view of a stream that throws <see cref="RequestTooLargeException"/> once more than the limit was read.</summary>
internal sealed class LimitedReadStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read)
    {
        _read += read;
        return _read > limit ? throw new RequestTooLargeException(limit) : read;
    }
}

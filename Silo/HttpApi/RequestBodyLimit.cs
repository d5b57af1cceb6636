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

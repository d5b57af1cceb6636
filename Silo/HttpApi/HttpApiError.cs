using Formation.Errors;
using Microsoft.AspNetCore.Http;

namespace Formation.Silo.HttpApi;

/// <summary>
/// Every error body of the HTTP API: the CLI's error kind and message (what was wrong, what to do). Errors the HTTP layer
/// itself raises use the same shape with their own kinds: <see cref="TooLarge"/>, <see cref="TooManyRequests"/>,
/// <see cref="Unavailable"/> and <see cref="Internal"/>; a body that is not valid JSON is <c>InvalidArgument</c>.
/// </summary>
public sealed record HttpApiError(string Kind, string Message)
{
    /// <summary>413: the request body is over the limit.</summary>
    public const string TooLarge = "TooLarge";

    /// <summary>429: this client has too many requests in progress and queued.</summary>
    public const string TooManyRequests = "TooManyRequests";

    /// <summary>503: a silo the request needed did not answer; retry.</summary>
    public const string Unavailable = "Unavailable";

    /// <summary>500: the silo failed in a way it did not expect; its log has the details.</summary>
    public const string Internal = "Internal";

    /// <summary>The HTTP status for a Formation error kind.</summary>
    public static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict or ErrorKind.NoCapacity => StatusCodes.Status409Conflict,
        ErrorKind.NodeUnavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.PermissionDenied or ErrorKind.QuotaExceeded => StatusCodes.Status403Forbidden,
        ErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The error as a result with its status.</summary>
    public static IResult Result(int status, string kind, string message) =>
        Results.Json(new HttpApiError(kind, message), HttpApiJson.Default.HttpApiError, statusCode: status);

    /// <summary>Writes the error as the whole response (for middleware, where no endpoint result exists).</summary>
    public static Task WriteAsync(HttpContext context, int status, string kind, string message) =>
        Result(status, kind, message).ExecuteAsync(context);
}

using Formation.Errors;
using Microsoft.AspNetCore.Http;

namespace Formation.Silo.HttpApi;

/// <summary>Every error body of the HTTP API: the CLI's error kind and message (what was wrong, what to do).</summary>
public sealed record HttpApiError(string Kind, string Message)
{
    /// <summary>The HTTP status for a Formation error kind.</summary>
    public static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict or ErrorKind.NoCapacity => StatusCodes.Status409Conflict,
        ErrorKind.NodeUnavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}

using Microsoft.AspNetCore.Http;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The outermost middleware: what the HTTP layer rejects before an endpoint answers becomes an <see cref="HttpApiError"/>
/// like every other error. A request the framework could not read (<see cref="BadHttpRequestException"/>: bad JSON, wrong
/// content type, body over the limit) keeps its status with the reason; anything else unexpected is a 500 whose details
/// stay in the silo's log.
/// </summary>
internal sealed partial class HttpApiErrors(ILogger logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (RequestTooLargeException ex) when (!context.Response.HasStarted)
        {
            await HttpApiError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, HttpApiError.TooLarge,
                $"{ex.Message} Send a smaller one (a build context without its large files; the silo's limits are Formation__HttpApi__MaxRequestBodyBytes and MaxBuildContextBytes).");
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            var (kind, message) = ex.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => (HttpApiError.TooLarge, $"{ex.Message} Send a smaller body."),
                StatusCodes.Status415UnsupportedMediaType => (nameof(Errors.ErrorKind.InvalidArgument), $"{ex.Message} Send Content-Type: application/json."),
                _ => (nameof(Errors.ErrorKind.InvalidArgument), Describe(ex)),
            };
            await HttpApiError.WriteAsync(context, ex.StatusCode, kind, message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left; there is no one to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogUnexpected(ex, context.Request.Method, context.Request.Path);
            await HttpApiError.WriteAsync(context, StatusCodes.Status500InternalServerError, HttpApiError.Internal,
                $"the silo failed to answer ({ex.GetType().Name}); its log has the details. Retry, and report it if it persists.");
        }
    }

    /// <summary>
    /// The body of an error status that nothing else described (status code pages): no route (404), a method the route
    /// does not take (405), a body that is not JSON (415).
    /// </summary>
    public static Task DescribeStatusAsync(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => HttpApiError.WriteAsync(context, 404, nameof(Errors.ErrorKind.NotFound),
            $"no route {context.Request.Path}. The routes are listed in /openapi/v1.json."),
        StatusCodes.Status405MethodNotAllowed => HttpApiError.WriteAsync(context, 405, nameof(Errors.ErrorKind.InvalidArgument),
            $"{context.Request.Path} does not take {context.Request.Method}. The routes and their methods are listed in /openapi/v1.json."),
        StatusCodes.Status415UnsupportedMediaType => HttpApiError.WriteAsync(context, 415, nameof(Errors.ErrorKind.InvalidArgument),
            $"{context.Request.Method} {context.Request.Path} takes a JSON body: send Content-Type: application/json."),
        var status => HttpApiError.WriteAsync(context, status, status >= 500 ? HttpApiError.Internal : nameof(Errors.ErrorKind.InvalidArgument),
            $"the request was refused with HTTP status {status}. Check it against /openapi/v1.json."),
    };

    /// <summary>The framework's reason, plus where in the JSON it went wrong when the body did not parse.</summary>
    private static string Describe(BadHttpRequestException ex) => ex.InnerException is System.Text.Json.JsonException json
        ? $"the request body is not valid JSON for this route: {json.Message} Fix the body and send it again."
        : $"{ex.Message} Fix the request and send it again.";

    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP API: {Method} {Path} failed")]
    private partial void LogUnexpected(Exception ex, string method, string path);
}

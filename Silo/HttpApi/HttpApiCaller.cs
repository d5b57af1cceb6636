using System.Net;
using Formation.Errors;
using Formation.Identity;
using Formation.Silo.Platform;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Formation.Silo.HttpApi;

/// <summary>
/// Establishes who calls the HTTP API before any endpoint calls a grain. The API listens on loopback only and takes no
/// credential yet, so the caller is the local user that opened the connection, as the kernel's socket table says
/// (<see cref="TcpSocketOwners"/>): root or the silo's own uid act as <see cref="Caller.Admin"/> (<see cref="LocalAdmins"/>,
/// the local API's rule); any other user, or a connection whose owner cannot be found, gets 401 <c>Unauthenticated</c>
/// and reaches no grain.
/// </summary>
internal sealed partial class HttpApiCaller(ILogger logger, Func<IPEndPoint, IPEndPoint, long?> socketOwner)
{
    public HttpApiCaller(ILogger logger)
        : this(logger, TcpSocketOwners.UidOf)
    {
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var uid = OwnerOf(context);
        if (uid is not { } known || !LocalAdmins.IsAdmin(known))
        {
            LogRefused(uid ?? -1, context.Request.Method, context.Request.Path);
            var who = uid is { } u ? $"uid {u}" : "a connection whose local user the silo could not find";
            await HttpApiError.WriteAsync(context, StatusCodes.Status401Unauthorized, nameof(ErrorKind.Unauthenticated),
                $"{who} may not use this silo's HTTP API: it takes no credential yet and serves only {LocalAdmins.Describe()} on this host. " +
                "Use `form` with your credential instead (--credential FILE, or `form login --credential FILE` once).");
            return;
        }

        CallerContext.Set(Caller.Admin);
        await next(context);
    }

    /// <summary>
    /// The uid that opened the request's connection. Found once per connection and kept with it (a socket's creator
    /// never changes), so requests on a kept-alive connection do not each read the kernel's socket tables.
    /// </summary>
    private long? OwnerOf(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items?.TryGetValue(typeof(HttpApiCaller), out var known) == true && known is long remembered)
        {
            return remembered;
        }

        var connection = context.Connection;
        long? uid = connection is { RemoteIpAddress: { } remote, LocalIpAddress: { } local }
            ? socketOwner(new IPEndPoint(remote, connection.RemotePort), new IPEndPoint(local, connection.LocalPort))
            : null;
        if (uid is { } found && items is not null)
        {
            items[typeof(HttpApiCaller)] = found;
        }

        return uid;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP API: refused {Method} {Path} from uid {Uid} (-1: not found)")]
    private partial void LogRefused(long uid, string method, string path);
}

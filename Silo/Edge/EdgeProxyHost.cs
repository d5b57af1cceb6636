using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace Formation.Silo.Edge;

/// <summary>
/// The node's edge proxy: an HTTP listener on every address (<see cref="EdgeOptions.HttpPort"/>) that sends each request
/// to a serving replica of the service its <c>Host</c> routes to, through YARP's forwarder (HTTP/1.1, HTTP/2, WebSocket
/// upgrades, streaming bodies). Replicas are taken in the route's balancing order (round robin, or fewest requests in
/// flight from this node); one that refuses or does not accept a connection is skipped for a while (passive health),
/// and a request without a body whose method is idempotent is tried on the next replica, so a replica that dies costs
/// no request that could be retried. Adds <c>X-Forwarded-For/Proto/Host</c>. A second listener
/// (<see cref="EdgeOptions.HttpsPort"/>) terminates TLS for routes with a certificate, chosen by SNI (HTTP/2 by ALPN).
/// </summary>
public sealed partial class EdgeProxyHost(EdgeTable table, EdgeOptions options, ILogger<EdgeProxyHost> logger, EdgeMetrics? metrics = null)
    : IHostedService, IAsyncDisposable
{
    private HttpMessageInvoker? _client;

    private readonly List<WebApplication> _apps = [];

    /// <summary>The HTTP port it listens on (0 when it does not).</summary>
    public int Port { get; private set; }

    /// <summary>The HTTPS port it listens on (0 when it does not).</summary>
    public int TlsPort { get; private set; }

    /// <summary>The cleartext HTTP/2 port it listens on (0 when it does not).</summary>
    public int H2cPort { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            // A replica's address is given to a new VM once the replica is deleted. A kept-alive connection to the old
            // guest would then be a black hole (no RST from a VM that is gone) for a request meant for the new one. A
            // replica is out of the table at most 1 s after its drain starts and deleted 3 s after, and the new VM still
            // has to boot: connections idle for 2 s are closed, so none outlives the VM it was made to.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
        });
        if (options.HttpPort != 0 && await ListenAsync(options.HttpPort, Listener.Http, options.Explicit, cancellationToken))
        {
            Port = options.HttpPort;
        }

        if (options.HttpsPort != 0 && await ListenAsync(options.HttpsPort, Listener.Https, options.HttpsExplicit, cancellationToken))
        {
            TlsPort = options.HttpsPort;
        }

        if (options.H2cPort != 0 && await ListenAsync(options.H2cPort, Listener.H2c, chosen: true, cancellationToken))
        {
            H2cPort = options.H2cPort;
        }
    }

    /// <summary>Starts one listener; false (with a warning) when a default port is taken, an exception when a chosen one is.</summary>
    private enum Listener
    {
        Http,
        Https,
        H2c,
    }

    private async Task<bool> ListenAsync(int port, Listener kind, bool chosen, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Any, port, listen =>
            {
                if (kind == Listener.H2c)
                {
                    listen.Protocols = HttpProtocols.Http2; // prior knowledge: without TLS there is no ALPN to choose by
                }

                if (kind == Listener.Https)
                {
                    // The certificate of the route the client names (SNI); none for an unknown name ends the handshake.
                    listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, name) => table.CertificateFor(name) });
                }
            });
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        app.Run(context => ServeAsync(context, forwarder));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex) when (!chosen && ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse or SocketError.AccessDenied })
        {
            await app.DisposeAsync();
            LogPortTaken(kind.ToString().ToUpperInvariant(), port, kind == Listener.Https ? "--edge-tls-port" : "--edge-port");
            return false;
        }

        _apps.Add(app);
        LogListening(kind.ToString().ToUpperInvariant(), port);
        return true;
    }

    /// <summary>Forwards one request and records it (<see cref="EdgeMetrics"/>) once it is answered.</summary>
    private async Task ServeAsync(HttpContext context, IHttpForwarder forwarder)
    {
        var started = Stopwatch.GetTimestamp();
        (string Route, string? Error) outcome = (EdgeMetrics.NoRoute, "unhandled");
        try
        {
            outcome = await ForwardAsync(context, forwarder);
        }
        finally
        {
            metrics?.Request(outcome.Route, context.Request.Method, context.Response.StatusCode, started, outcome.Error);
        }
    }

    /// <summary>Forwards one request; returns the route it took (or <see cref="EdgeMetrics.NoRoute"/>) and why it failed, if it did.</summary>
    private async Task<(string Route, string? Error)> ForwardAsync(HttpContext context, IHttpForwarder forwarder)
    {
        var host = context.Request.Host.Host.TrimEnd('.').ToLowerInvariant();
        if (!table.TryGet(host, out var backends))
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, $"Formation edge: no route for host '{host}'. `form route add {host} --service NAME --port PORT` makes one.");
            return (EdgeMetrics.NoRoute, "no_route");
        }

        var route = backends.Route.Host;
        var destinations = backends.Destinations;
        if (destinations.Count == 0)
        {
            await PlainAsync(context, StatusCodes.Status503ServiceUnavailable, $"Formation edge: service '{backends.Route.Service}' has no serving replica right now.");
            return (route, "no_replica");
        }

        var retriable = IsRetriable(context.Request);
        var tried = 0;
        // Healthy replicas first, in the route's balancing order; the skipped ones last (they may have recovered).
        foreach (var destination in table.Order(backends))
        {
            tried++;
            ForwarderError error;
            using (table.Begin(destination))
            {
                error = await forwarder.SendAsync(context, destination, _client!, ForwarderRequestConfig.Empty, EdgeTransformer.Instance);
            }

            if (error == ForwarderError.None)
            {
                return (route, null);
            }

            var connectFailure = error is ForwarderError.Request or ForwarderError.RequestTimedOut;
            if (connectFailure)
            {
                table.MarkFailed(destination, options.FailurePenalty);
            }

            if (!retriable || !connectFailure || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
            {
                return (route, Grains.Metrics.FabricMeter.Label(error.ToString())); // YARP has answered 502/504 (or the client is gone)
            }

            LogRetry(host, destination, error);
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }

        if (!context.Response.HasStarted)
        {
            await PlainAsync(context, StatusCodes.Status502BadGateway, $"Formation edge: none of the {tried} replica(s) of service '{backends.Route.Service}' answered.");
        }

        return (route, "all_replicas_failed");
    }

    /// <summary>Safe to send again: an idempotent method and no request body.</summary>
    private static bool IsRetriable(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)) &&
        request.ContentLength is null or 0 && !request.Headers.ContainsKey("Transfer-Encoding");

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var app in _apps)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _client?.Dispose();
    }

    /// <summary>Keeps the client's Host and adds the X-Forwarded headers a backend needs to know who asked and how.</summary>
    private sealed class EdgeTransformer : HttpTransformer
    {
        public static readonly EdgeTransformer Instance = new();

        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
            var client = httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var prior = proxyRequest.Headers.TryGetValues("X-Forwarded-For", out var values) ? string.Join(", ", values) : null;
            proxyRequest.Headers.Remove("X-Forwarded-For");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", prior is null ? client : $"{prior}, {client}");
            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            proxyRequest.Headers.Remove("X-Forwarded-Host");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge proxy: {Scheme} on port {Port} (every address)")]
    private partial void LogListening(string scheme, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge proxy: no {Scheme}, port {Port} is in use (another web server?). Choose one with {Flag}.")]
    private partial void LogPortTaken(string scheme, int port, string flag);

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge: {Host} → {Destination} failed ({Error}); trying the next replica")]
    private partial void LogRetry(string host, string destination, ForwarderError error);
}

using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The silo's HTTP API for automation (ASP.NET Core minimal APIs, JSON, OpenAPI at <c>/openapi/v1.json</c>). It takes no
/// credential yet, so it listens on loopback only and serves only the local admin users (<see cref="HttpApiCaller"/>); request bodies are limited and each client
/// address gets a bounded number of requests in progress (429 beyond its queue). Every error, including the ones the
/// HTTP layer raises (bad JSON, body too large, too many requests), is an <see cref="HttpApiError"/>. Started after the
/// silo, so grains answer at once; stopped before it, ending open event streams first.
/// </summary>
public sealed partial class HttpApiHost(IClusterClient client, HttpApiOptions options, ILogger<HttpApiHost> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            // The per-route limits are RequestBodyLimit's (JSON errors); Kestrel's own is only the outer bound.
            k.Limits.MaxRequestBodySize = Math.Max(options.MaxRequestBodyBytes, options.MaxBuildContextBytes);
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
        });
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HttpApiJson.Default));
        // Binding failures (bad JSON, wrong content type, body too large) throw, so HttpApiErrors turns them into error bodies.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi();
        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => RateLimitPartition.GetConcurrencyLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new ConcurrencyLimiterOptions { PermitLimit = options.ConcurrencyPerClient, QueueLimit = options.QueuePerClient }));
            o.OnRejected = (context, ct) => new ValueTask(HttpApiError.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests,
                HttpApiError.TooManyRequests,
                $"this client already has {options.ConcurrencyPerClient} requests in progress and {options.QueuePerClient} waiting " +
                "(an open event stream counts as one); retry when one has finished."));
        });
        var app = builder.Build();
        app.Use(new HttpApiErrors(logger).InvokeAsync);
        app.Use(new HttpApiCaller(logger).InvokeAsync);
        app.UseStatusCodePages(context => HttpApiErrors.DescribeStatusAsync(context.HttpContext));
        app.UseRateLimiter();
        app.UseRouting();
        app.Use(RequestBodyLimit.Middleware(options.MaxRequestBodyBytes));
        app.MapOpenApi();
        HttpApiEndpoints.Map(app, client, options, app.Lifetime.ApplicationStopping);
        await app.StartAsync(cancellationToken);
        _app = app;
        LogListening(options.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP API on http://127.0.0.1:{Port} (OpenAPI: /openapi/v1.json)")]
    private partial void LogListening(int port);
}

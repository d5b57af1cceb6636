using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The silo's HTTP API for automation (ASP.NET Core, JSON, OpenAPI at <c>/openapi/v1.json</c>). It has no authentication
/// yet, so it listens on loopback only, like the dashboard; request bodies are limited and each client address gets a
/// bounded number of requests in progress (429 beyond its queue). Started after the silo, so grains answer at once.
/// </summary>
public sealed partial class HttpApiHost(IGrainFactory grains, HttpApiOptions options, ILogger<HttpApiHost> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
        });
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, HttpApiJson.Default));
        builder.Services.AddOpenApi();
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => RateLimitPartition.GetConcurrencyLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new ConcurrencyLimiterOptions { PermitLimit = options.ConcurrencyPerClient, QueueLimit = options.QueuePerClient }));
        });
        var app = builder.Build();
        app.UseRateLimiter();
        app.MapOpenApi();
        HttpApiEndpoints.Map(app, grains);
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

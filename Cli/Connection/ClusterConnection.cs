using Formation.Connection;
using Formation.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Formation.Cli.Connection;

/// <summary>An Orleans client connected to a Formation cluster, or a <see cref="NoSiloException"/> within the timeout.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterConnection(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    public static async Task<ClusterConnection> ConnectAsync(ConnectionSettings settings, CancellationToken cancellationToken)
    {
        var gateway = settings.Postgres is null ? settings.ResolveGateway() : null;
        var deadline = DateTime.UtcNow + settings.Timeout;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("FORM_TRACE") == "2")
        {
            builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ").SetMinimumLevel(LogLevel.Debug);
        }
        else
        {
            builder.Logging.SetMinimumLevel(LogLevel.Critical);
        }
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            if (settings.Postgres is { } postgres)
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = postgres;
                });
            }
            else
            {
                client.UseStaticClustering(gateway!);
            }

            client.AddMemoryStreams(EventStreams.Provider);
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                if (DateTime.UtcNow >= deadline)
                {
                    return false;
                }

                await Task.Delay(200, ct);
                return true;
            });
        });

        Trace.Mark("configured");
        var host = builder.Build();
        Trace.Mark("built");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            await host.StartAsync(timeout.Token);
            Trace.Mark("connected");
            return new ClusterConnection(host);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new NoSiloException(
                $"no Formation silo answered at {settings.Target} within {settings.Timeout.TotalSeconds:0} s.\n" +
                "Start one on this machine with `scripts/run` (or run formation-silo), or point form at a running one with " +
                "--gateway HOST:PORT (cluster mode: --postgres \"CONNECTION STRING\").");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _host.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _host.Dispose();
        Trace.Mark("disposed");
    }
}

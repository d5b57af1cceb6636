using System.Net;
using Formation.Events;
using Formation.Silo.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Formation.Silo.Tests.Processes;

/// <summary>An Orleans client for tests that talk to silo processes: through a gateway, or PostgreSQL membership.</summary>
public sealed class ClusterClient : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static Task<ClusterClient> ViaGatewayAsync(int port) =>
        StartAsync(c => c.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, port)));

    public static Task<ClusterClient> ViaPostgresAsync(string connectionString) =>
        StartAsync(c => c.UseFormationAdoNetClustering(connectionString));

    private static async Task<ClusterClient> StartAsync(Action<IClientBuilder> clustering)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "formation";
                o.ServiceId = "formation";
            });
            clustering(client);
            client.AddMemoryStreams(EventStreams.Provider);
        });
        var host = builder.Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(cts.Token);
        return new ClusterClient(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _host.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _host.Dispose();
    }
}

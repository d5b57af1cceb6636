using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Metrics;

/// <summary>
/// One real formation-silo process (sim driver) sampling every second, its metrics endpoint, a client, and a real OTLP
/// receiver the silo pushes its metrics to (<c>--otlp-endpoint</c>, every second).
/// </summary>
public sealed class MetricsSiloFixture : IAsyncLifetime
{
    private readonly TestDirectory _data = new();

    public SiloProcess Silo { get; private set; } = null!;

    public ClusterClient Client { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public OtlpReceiver Otlp { get; } = new();

    public string NodeId => Silo.Options.NodeId;

    public async ValueTask InitializeAsync()
    {
        await Otlp.StartAsync();
        Silo = await SiloProcess.StartAsync(new SiloProcessOptions("metrics-node", _data.Path)
        {
            Environment = { ["Formation__Metrics__Interval"] = "00:00:01", ["Formation__Metrics__OtlpEndpoint"] = Otlp.BaseUrl },
        });
        Client = await ClusterClient.ViaGatewayAsync(Silo.Options.GatewayPort, asNode: true);
    }

    /// <summary>Scrapes the silo's endpoint and parses it strictly.</summary>
    public async Task<IReadOnlyDictionary<string, PrometheusFamily>> ScrapeAsync()
    {
        var text = await Http.GetStringAsync(Silo.Options.MetricsUrl);
        return PrometheusText.Parse(text);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }

        await Otlp.DisposeAsync();
        _data.Dispose();
    }
}

using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Metrics;

/// <summary>One real formation-silo process (sim driver) sampling every second, its metrics endpoint, and a client.</summary>
public sealed class MetricsSiloFixture : IAsyncLifetime
{
    private readonly TestDirectory _data = new();

    public SiloProcess Silo { get; private set; } = null!;

    public ClusterClient Client { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string NodeId => Silo.Options.NodeId;

    public async ValueTask InitializeAsync()
    {
        Silo = await SiloProcess.StartAsync(new SiloProcessOptions("metrics-node", _data.Path)
        {
            Environment = { ["Formation__Metrics__Interval"] = "00:00:01" },
        });
        Client = await ClusterClient.ViaGatewayAsync(Silo.Options.GatewayPort);
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

        _data.Dispose();
    }
}

namespace Formation.Cli.Tests;

/// <summary>One real formation-silo process (embedded mode, sim driver) for the CLI tests of a class.</summary>
public sealed class RunningSiloFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "formation-cli-tests", Guid.NewGuid().ToString("N"));

    public SiloProcess Silo { get; private set; } = null!;

    public string NodeId => Silo.Options.NodeId;

    public async ValueTask InitializeAsync() =>
        Silo = await SiloProcess.StartAsync(new SiloProcessOptions("cli-node", _dataDirectory)
        {
            // Samples every second, so `form top` and `form vm show` have a VM's usage within the tests' patience.
            Environment = { ["Formation__Metrics__Interval"] = "00:00:01" },
        });

    /// <summary>Runs form in-process against this silo.</summary>
    public Task<FormRun> FormAsync(params string[] args) => FormRun.InProcessAsync([.. args, "--gateway", Silo.Gateway]);

    public async ValueTask DisposeAsync()
    {
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using Formation.Silo.Hosting;
using Formation.Silo.HttpApi;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>The HTTP API's settings as the silo validates them: every bad value named with what to set.</summary>
public sealed class HttpApiOptionsTests : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    public void Defaults_AreValid_AndTheApiIsOnAtPort30080()
    {
        var config = SiloConfig.Resolve(Options(new HttpApiOptions()), out var problems);

        Assert.Empty(problems);
        Assert.Equal(30080, config.HttpApi?.Port);
    }

    [Fact]
    public void PortZero_TurnsTheApiOff()
    {
        var config = SiloConfig.Resolve(Options(new HttpApiOptions { Port = 0 }), out var problems);

        Assert.Empty(problems);
        Assert.Null(config.HttpApi);
    }

    [Theory]
    [InlineData(70000, 8, 32, "--http-port")]
    [InlineData(30000, 8, 32, "also the silo, gateway or libp2p port")]
    [InlineData(30080, 0, 32, "ConcurrencyPerClient must be at least 1")]
    [InlineData(30080, 8, -1, "QueuePerClient must be 0 or more")]
    public void BadValues_AreRefusedSayingWhatToSet(int port, int concurrency, int queue, string expected)
    {
        SiloConfig.Resolve(Options(new HttpApiOptions { Port = port, ConcurrencyPerClient = concurrency, QueuePerClient = queue }), out var problems);

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void HttpPortFlag_MapsOntoTheHttpApiSection()
    {
        Assert.True(SiloArguments.TryParse(["--http-port", "30081"], out var values, out _, out var error), error);

        Assert.Equal("30081", values["Formation:HttpApi:Port"]);
    }

    private FormationOptions Options(HttpApiOptions http) => new() { DataDirectory = _data.Path, NodeId = "opts", HttpApi = http };

    public void Dispose() => _data.Dispose();
}

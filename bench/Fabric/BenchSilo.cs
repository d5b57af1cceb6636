using Formation.Testing;

namespace Formation.Bench.Fabric;

/// <summary>A real formation-silo process (embedded mode, SQLite, sim driver) in a scratch data directory.</summary>
public static class BenchSilo
{
    public static async Task<(SiloProcess Silo, string DataDirectory)> StartAsync(string name, Dictionary<string, string>? environment = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "formation-bench", $"{name}-{Guid.NewGuid():N}");
        var options = new SiloProcessOptions(name, dir) { Environment = environment ?? [] };
        return (await SiloProcess.StartAsync(options), dir);
    }

    /// <summary>
    /// <paramref name="environment"/> plus the benchmark-only switch that starts an embedded silo without identity (no
    /// mutual TLS, no proofs): the anchor for what identity costs. The silo refuses it without the variable.
    /// </summary>
    public static Dictionary<string, string> WithoutIdentity(Dictionary<string, string>? environment = null) =>
        new(environment ?? [])
        {
            ["Formation__BenchmarkWithoutIdentity"] = "true",
            [Formation.Silo.Identity.BenchmarkIdentitySwitch.EnvironmentVariable] = "1",
        };

    public static async Task StopAsync(SiloProcess silo, string dataDirectory)
    {
        await silo.StopAsync();
        await silo.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }
}

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

    public static async Task StopAsync(SiloProcess silo, string dataDirectory)
    {
        await silo.StopAsync();
        await silo.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Formation.Bench.P2p;

/// <summary>Runs tests/Formation.P2p.Tests/js/bench.mjs (the js-libp2p anchor) and returns its JSON line.</summary>
internal static class JsBench
{
    public static async Task<JsonObject> RunAsync(string mode, long argument)
    {
        var dir = Path.Combine(RepoRoot(), "tests", "Formation.P2p.Tests", "js");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "libp2p")))
        {
            throw new InvalidOperationException($"js-libp2p is not installed: run 'npm ci' in {dir} (scripts/test does it)");
        }

        var psi = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--expose-gc", "bench.mjs", mode, argument.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var line = (await stdout).Split('\n').LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException($"js bench {mode} printed no result: {await stderr}");
        return JsonNode.Parse(line)!.AsObject();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Formation.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find Formation.sln above " + AppContext.BaseDirectory);
    }
}

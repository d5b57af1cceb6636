using System.Diagnostics;

namespace Formation.Bench.Pack;

/// <summary>Anchor timings measured in the same run: copying the build context with cp -r, and spawning 'true'.</summary>
internal sealed class Anchors(string context)
{
    public async Task<TimeSpan> CopyTreeAsync()
    {
        var target = Path.Combine(Path.GetTempPath(), "formation-pack-bench-copy-" + Guid.NewGuid().ToString("N"));
        try
        {
            return await MedianAsync(async i => await RunAsync("cp", "-r", context, $"{target}-{i}"));
        }
        finally
        {
            foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Path.GetFileName(target) + "-*"))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    public Task<TimeSpan> SpawnTrueAsync() => MedianAsync(_ => RunAsync("true"));

    private static async Task<TimeSpan> MedianAsync(Func<int, Task> action)
    {
        var samples = new List<TimeSpan>();
        for (var i = 0; i < 21; i++)
        {
            var watch = Stopwatch.StartNew();
            await action(i);
            samples.Add(watch.Elapsed);
        }

        return samples.Order().ElementAt(samples.Count / 2);
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}");
        }
    }
}

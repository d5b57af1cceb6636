using System.Globalization;
using System.Text.RegularExpressions;
using Formation.Silo.Platform;

namespace Formation.Bench.Dns;

/// <summary>Debian's dnsperf against one server: queries per second, and how many were lost.</summary>
public static partial class Dnsperf
{
    public sealed record Result(double QueriesPerSecond, long Completed, long Lost, string Output);

    public static async Task<Result> RunAsync(int port, string queryFile, int seconds, int clients)
    {
        var run = await ProcessRunner.RunAsync("dnsperf",
            ["-s", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-d", queryFile, "-l", seconds.ToString(CultureInfo.InvariantCulture),
                "-c", clients.ToString(CultureInfo.InvariantCulture), "-Q", "1000000", "-t", "2"],
            null, 200, TimeSpan.FromSeconds(seconds + 60), CancellationToken.None);
        var output = string.Join('\n', run.OutputTail);
        if (run.ExitCode != 0 || QpsLine().Match(output) is not { Success: true } qps)
        {
            throw new InvalidOperationException($"dnsperf failed (is Debian's dnsperf installed? scripts/apt-packages.txt):\n{output}");
        }

        return new Result(double.Parse(qps.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(CompletedLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(LostLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture), output);
    }

    [GeneratedRegex(@"Queries per second:\s+([0-9.]+)")]
    private static partial Regex QpsLine();

    [GeneratedRegex(@"Queries completed:\s+([0-9]+)")]
    private static partial Regex CompletedLine();

    [GeneratedRegex(@"Queries lost:\s+([0-9]+)")]
    private static partial Regex LostLine();
}

using System.Globalization;
using System.Text.Json;

namespace Formation.Bench.Mesh;

/// <summary>iperf3 (Debian) between two hosts of an <see cref="Underlay"/>: a server in one, TCP clients from the other.</summary>
public sealed class Iperf(Underlay underlay, int client, int server, int seconds, int streams)
{
    private const int Port = 5201;

    /// <summary>Starts the server (one test at a time, as iperf3 serves) and waits until it accepts on <paramref name="address"/>.</summary>
    public async Task StartServerAsync(string address)
    {
        underlay.StartIn(server, "iperf3", "--server", "--port", Port.ToString(CultureInfo.InvariantCulture));
        var until = DateTime.UtcNow.AddSeconds(30);
        while ((await underlay.TryInAsync(client, "bash", "-c", $"exec 3<>/dev/tcp/{address}/{Port}")).ExitCode != 0)
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"iperf3 --server on host {server} did not accept at {address}:{Port} within 30 s");
            }

            await Task.Delay(200);
        }

        await Task.Delay(500); // the probe above was a connection too: let the server go back to waiting for a test
    }

    /// <summary>One test towards <paramref name="address"/>: what the receiver got, in Gbit/s (the first second, slow start, left out).</summary>
    public async Task<double> MeasureAsync(string address)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (code, output) = await underlay.TryInAsync(client, "iperf3", "--client", address, "--port", Port.ToString(CultureInfo.InvariantCulture),
                "--time", seconds.ToString(CultureInfo.InvariantCulture), "--omit", "1", "--interval", "0", "--parallel", streams.ToString(CultureInfo.InvariantCulture), "--json");
            var json = output[Math.Max(0, output.IndexOf('{'))..];
            if (code == 0)
            {
                using var doc = JsonDocument.Parse(json);
                return doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e9;
            }

            // "the server is busy running a test": the probe's connection, or a test the server has not finished yet.
            if (attempt == 5 || !output.Contains("busy", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"iperf3 to {address} failed ({code}): {output}");
            }

            await Task.Delay(1000);
        }
    }
}

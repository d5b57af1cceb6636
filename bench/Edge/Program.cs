using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Formation.Edge;
using Formation.Silo.Edge;
using Formation.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

// What the edge proxy costs a request. A backend (this program in --backend mode: Kestrel answering a 13-byte page) runs
// as its own process; wrk (Debian) loads it directly — the anchor — and then through the edge proxy (the silo's
// EdgeProxyHost with a one-route table, in this process), in the same run, alternating rounds. Reported: requests/s
// through the proxy as a ratio of direct, and the p50/p99 latency each way (goal: ≥ 0.7× direct, ≤ 1 ms added p99 on
// loopback). On a 2-core machine the proxied path runs three busy processes on two cores, the direct one two.
//   formation-bench-edge [--seconds 10] [--connections 16] [--rounds 3]
if (args is ["--backend", var portText])
{
    var backend = WebApplication.CreateSlimBuilder();
    backend.Logging.ClearProviders();
    backend.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, int.Parse(portText, CultureInfo.InvariantCulture)));
    var web = backend.Build();
    web.MapGet("/", () => Results.Text("hello, edge\n"));
    await web.RunAsync();
    return 0;
}

var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
var seconds = int.Parse(options.GetValueOrDefault("seconds", "10"), CultureInfo.InvariantCulture);
var connections = int.Parse(options.GetValueOrDefault("connections", "16"), CultureInfo.InvariantCulture);
var rounds = int.Parse(options.GetValueOrDefault("rounds", "3"), CultureInfo.InvariantCulture);
Console.WriteLine($"== edge proxy: wrk -t1 -c{connections} -d{seconds}s, {rounds} round(s) each way, alternating; {Environment.ProcessorCount} cores");

var backendPort = FreePorts.Next();
// Run as an apphost or as `dotnet formation-bench-edge.dll`: start the backend the same way.
var backendStart = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
    ? new ProcessStartInfo(Environment.ProcessPath!, [typeof(WrkResult).Assembly.Location, "--backend", backendPort.ToString(CultureInfo.InvariantCulture)])
    : new ProcessStartInfo(Environment.ProcessPath!, ["--backend", backendPort.ToString(CultureInfo.InvariantCulture)]);
backendStart.RedirectStandardOutput = true;
backendStart.RedirectStandardError = true;
using var backendProcess = Process.Start(backendStart)!;
try
{
    var edgePort = FreePorts.Next();
    var table = new EdgeTable(TimeProvider.System);
    table.Replace([(new EdgeRoute("bench.test", "bench", backendPort, DateTimeOffset.UtcNow), (IReadOnlyList<string>)[$"http://127.0.0.1:{backendPort}/"])]);
    await using var proxy = new EdgeProxyHost(table, new EdgeOptions { HttpPort = edgePort, Explicit = true, HttpsPort = 0 }, NullLogger<EdgeProxyHost>.Instance);
    await proxy.StartAsync(CancellationToken.None);
    await WaitForAsync($"http://127.0.0.1:{backendPort}/", null);
    await WaitForAsync($"http://127.0.0.1:{edgePort}/", "bench.test");

    // Warm both paths (JIT, connection pools), then alternate measured rounds.
    await WrkAsync($"http://127.0.0.1:{backendPort}/", null, 3, connections);
    await WrkAsync($"http://127.0.0.1:{edgePort}/", "bench.test", 3, connections);
    var direct = new List<WrkResult>();
    var proxied = new List<WrkResult>();
    for (var round = 0; round < rounds; round++)
    {
        direct.Add(await WrkAsync($"http://127.0.0.1:{backendPort}/", null, seconds, connections));
        proxied.Add(await WrkAsync($"http://127.0.0.1:{edgePort}/", "bench.test", seconds, connections));
        Console.WriteLine($"round {round + 1}: direct {direct[^1]} | proxy {proxied[^1]}");
    }

    var d = Median(direct);
    var p = Median(proxied);
    Console.WriteLine($"direct (anchor): {d.RequestsPerSecond:0} req/s, p50 {d.P50Ms:0.00} ms, p99 {d.P99Ms:0.00} ms");
    Console.WriteLine($"through the edge: {p.RequestsPerSecond:0} req/s, p50 {p.P50Ms:0.00} ms, p99 {p.P99Ms:0.00} ms");
    Console.WriteLine($"ratio: {p.RequestsPerSecond / d.RequestsPerSecond:0.00}× direct (goal ≥ 0.70); p99 added {p.P99Ms - d.P99Ms:0.00} ms (goal ≤ 1 ms); errors: {proxied.Sum(r => r.Errors)} proxied, {direct.Sum(r => r.Errors)} direct");
    await proxy.StopAsync(CancellationToken.None);
    return 0;
}
finally
{
    backendProcess.Kill();
}

static WrkResult Median(List<WrkResult> results) => results.OrderBy(r => r.RequestsPerSecond).ElementAt(results.Count / 2);

static async Task WaitForAsync(string url, string? host)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    for (var i = 0; ; i++)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (host is not null)
            {
                request.Headers.Host = host;
            }

            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException) when (i < 100)
        {
        }

        await Task.Delay(100);
    }
}

static async Task<WrkResult> WrkAsync(string url, string? host, int seconds, int connections)
{
    var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { "-t1", $"-c{connections}", $"-d{seconds}s", "--latency" })
    {
        info.ArgumentList.Add(a);
    }

    if (host is not null)
    {
        info.ArgumentList.Add("-H");
        info.ArgumentList.Add($"Host: {host}");
    }

    info.ArgumentList.Add(url);
    using var wrk = Process.Start(info) ?? throw new InvalidOperationException("wrk could not be started: install Debian's wrk (scripts/apt-packages.txt).");
    var output = await wrk.StandardOutput.ReadToEndAsync();
    await wrk.WaitForExitAsync();
    return WrkResult.Parse(output);
}

internal sealed partial record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors)
{
    public override string ToString() => $"{RequestsPerSecond:0} req/s p50 {P50Ms:0.00} ms p99 {P99Ms:0.00} ms";

    public static WrkResult Parse(string output)
    {
        var rps = double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var errors = Non2xx().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        errors += SocketErrors().Matches(output).Sum(x => long.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture));
        return new WrkResult(rps, Percentile(output, "50"), Percentile(output, "99"), errors);
    }

    private static double Percentile(string output, string p)
    {
        var m = Regex.Match(output, $@"^\s*{p}%\s+([0-9.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+([0-9]+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"(?:connect|read|write|timeout) ([0-9]+)")]
    private static partial Regex SocketErrors();
}

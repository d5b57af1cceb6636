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
// EdgeProxyHost with a one-route table, in this process), in the same run, alternating rounds. Goal: ≥ 0.7× direct,
// ≤ 1 ms added p99 on loopback. Three measurements:
//   shared  — every process on every core. On 2 cores the proxied path runs three busy processes where the direct one
//             runs two, so this ratio is bounded by CPU, not by the proxy's design (roughly (B+W)/(B+W+P) for the
//             CPU per request of backend, wrk and proxy).
//   pinned  — wrk and the backend on core 0, the proxy on core 1 (the edge of a real node: the backend is a VM with its
//             own vCPU, the proxy runs on the host). Shows whether the proxy keeps up with a backend given a core.
//   latency — one connection (no queueing): the p50/p99 each request gains by the extra hop.
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
var pinnable = Environment.ProcessorCount >= 2;
try
{
    var edgePort = FreePorts.Next();
    var table = new EdgeTable(TimeProvider.System);
    table.Replace([(new EdgeRoute("bench.test", "bench", backendPort, DateTimeOffset.UtcNow), (IReadOnlyList<string>)[$"http://127.0.0.1:{backendPort}/"])]);
    await using var proxy = new EdgeProxyHost(table, new EdgeOptions { HttpPort = edgePort, Explicit = true, HttpsPort = 0 }, NullLogger<EdgeProxyHost>.Instance);
    await proxy.StartAsync(CancellationToken.None);
    await WaitForAsync($"http://127.0.0.1:{backendPort}/", null);
    await WaitForAsync($"http://127.0.0.1:{edgePort}/", "bench.test");
    var directUrl = $"http://127.0.0.1:{backendPort}/";
    var edgeUrl = $"http://127.0.0.1:{edgePort}/";

    // Warm both paths (JIT, connection pools), then alternate measured rounds.
    await WrkAsync(directUrl, null, 3, connections, pin: null);
    await WrkAsync(edgeUrl, "bench.test", 3, connections, pin: null);

    var shared = await CompareAsync("shared", connections, pin: null);
    var pinned = pinnable ? await PinnedAsync() : null;
    var latency = await CompareAsync("latency", 1, pin: null);

    Console.WriteLine();
    Report("shared cores", shared, "throughput ratio is bounded by CPU on a small machine");
    if (pinned is not null)
    {
        Report("pinned (wrk+backend core 0, proxy core 1)", pinned, "the proxy with its own core");
    }
    else
    {
        Console.WriteLine("pinned: not measured (one core)");
    }

    Console.WriteLine($"latency, one connection: direct p50 {latency.Direct.P50Ms:0.000} ms p99 {latency.Direct.P99Ms:0.000} ms | " +
        $"edge p50 {latency.Proxied.P50Ms:0.000} ms p99 {latency.Proxied.P99Ms:0.000} ms | added p50 {latency.Proxied.P50Ms - latency.Direct.P50Ms:0.000} ms, " +
        $"p99 {latency.Proxied.P99Ms - latency.Direct.P99Ms:0.000} ms (goal ≤ 1 ms)");
    await proxy.StopAsync(CancellationToken.None);
    return 0;

    async Task<Comparison> CompareAsync(string label, int conns, int? pin)
    {
        var direct = new List<WrkResult>();
        var proxied = new List<WrkResult>();
        for (var round = 0; round < rounds; round++)
        {
            direct.Add(await WrkAsync(directUrl, null, seconds, conns, pin));
            proxied.Add(await WrkAsync(edgeUrl, "bench.test", seconds, conns, pin));
            Console.WriteLine($"{label} round {round + 1} (-c{conns}): direct {direct[^1]} | proxy {proxied[^1]}");
        }

        return new Comparison(Median(direct), Median(proxied), proxied.Sum(r => r.Errors), direct.Sum(r => r.Errors));
    }

    async Task<Comparison> PinnedAsync()
    {
        var self = Process.GetCurrentProcess();
        var before = self.ProcessorAffinity;
        try
        {
            Pin(backendProcess.Id, 0);
            self.ProcessorAffinity = 1 << 1;
            PinThreads(Environment.ProcessId, 1);
            return await CompareAsync("pinned", connections, pin: 0);
        }
        finally
        {
            self.ProcessorAffinity = before;
            PinThreads(Environment.ProcessId, -1);
            Pin(backendProcess.Id, -1);
        }
    }
}
finally
{
    backendProcess.Kill();
}

static void Report(string label, Comparison c, string what)
{
    Console.WriteLine($"{label}: direct (anchor) {c.Direct} | through the edge {c.Proxied} | ratio {c.Proxied.RequestsPerSecond / c.Direct.RequestsPerSecond:0.00}× " +
        $"(goal ≥ 0.70), p99 added {c.Proxied.P99Ms - c.Direct.P99Ms:0.00} ms; errors {c.ProxiedErrors} proxied, {c.DirectErrors} direct — {what}");
}

// taskset on every thread of a process (-1: all cores again). ProcessorAffinity of the current process covers only
// threads made later, so the running ones are pinned by thread id.
static void PinThreads(int pid, int core)
{
    foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
    {
        Pin(int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture), core);
    }
}

static void Pin(int pid, int core)
{
    var list = core < 0 ? $"0-{Environment.ProcessorCount - 1}" : core.ToString(CultureInfo.InvariantCulture);
    using var taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-p", "-c", list, pid.ToString(CultureInfo.InvariantCulture)])
    {
        RedirectStandardOutput = true,
    }) ?? throw new InvalidOperationException("taskset (util-linux) could not be started");
    taskset.StandardOutput.ReadToEnd();
    taskset.WaitForExit();
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

static async Task<WrkResult> WrkAsync(string url, string? host, int seconds, int connections, int? pin)
{
    // On a core of its own choosing only when pinned: wrk then shares core 0 with the backend.
    var info = new ProcessStartInfo(pin is null ? "wrk" : "taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
    if (pin is not null)
    {
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(pin.Value.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("wrk");
    }

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

internal sealed record Comparison(WrkResult Direct, WrkResult Proxied, long ProxiedErrors, long DirectErrors);

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

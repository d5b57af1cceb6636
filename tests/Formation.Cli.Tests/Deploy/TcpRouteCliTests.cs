using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;

namespace Formation.Cli.Tests.Deploy;

/// <summary>
/// TCP routes for real (qemu driver, one node, two replicas of a busybox httpd guest): bad routes are refused with
/// nothing stored; a good one makes the node's edge listen on the port and carry every connection to a replica (the
/// HTTP page read through the L4 port, a new connection per request); a replica whose VMM dies is skipped; deleting
/// the route closes the port.
/// </summary>
[Trait("Category", "Slow")]
public sealed class TcpRouteCliTests : IAsyncLifetime
{
    private const string Node = "cli-tcp";
    private readonly TestDirectory _scratch = new("tcp-route");
    private SiloProcess? _silo;

    [Fact]
    public async Task TcpRoute_BadOnesRefused_GoodOneCarriesConnectionsToReplicas_SkipsADeadOne_DeleteCloses()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        var app = Path.Combine(_scratch.Path, "app");
        _scratch.Write("app/Formfile", "NAME svc-tcp\nFROM tiny\nMEM 128\nCOPY ./www /www\nEXPOSE 8080/tcp\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        _scratch.Write("app/www/index.html", "tcp page\n");
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions(Node, Path.Combine(_scratch.Path, "data")) { Driver = "qemu", EdgePort = FreePorts.Next() });
        var gateway = _silo.Gateway;
        var deployed = await Form("deploy", app, "--replicas", "2", "--gateway", gateway);
        Assert.True(deployed.ExitCode == 0, deployed.ToString());

        var listen = FreePorts.Next();
        var gatewayPort = gateway.Split(':')[^1];
        Assert.Contains("out of range: use 1024-65535", (await Form("route", "add", "--tcp", "80", "--service", "svc-tcp", "--port", "8080", "--gateway", gateway)).Error);
        Assert.Contains("not both", (await Form("route", "add", "web.test", "--tcp", $"{listen}", "--service", "svc-tcp", "--port", "8080", "--gateway", gateway)).Error);
        Assert.Contains($"TCP port {gatewayPort} is one node '{Node}' itself listens on",
            (await Form("route", "add", "--tcp", gatewayPort, "--service", "svc-tcp", "--port", "8080", "--gateway", gateway)).Error);
        Assert.Contains("port 9999/tcp is not one of them", (await Form("route", "add", "--tcp", $"{listen}", "--service", "svc-tcp", "--port", "9999", "--gateway", gateway)).Error);
        Assert.Contains("No service named 'nope'", (await Form("route", "add", "--tcp", $"{listen}", "--service", "nope", "--port", "8080", "--gateway", gateway)).Error);
        Assert.Contains("No routes", (await Form("route", "list", "--gateway", gateway)).Out);

        var added = await Form("route", "add", "--tcp", $"{listen}", "--service", "svc-tcp", "--port", "8080", "--balance", "least-requests", "--gateway", gateway);
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains($"TCP route port {listen} → service svc-tcp port 8080 added (least-requests)", added.Out);
        var listed = await Form("route", "list", "--gateway", gateway);
        Assert.Contains("TCP PORT", listed.Out);
        Assert.Contains("least-requests", listed.Out);
        Assert.Contains($"{listen}", listed.Out);
        Assert.Contains($"TCP port {listen} already routes", (await Form("route", "add", "--tcp", $"{listen}", "--service", "svc-tcp", "--port", "8080", "--gateway", gateway)).Error);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        await Eventually.HoldsAsync(() => TryGetAsync(http, listen), page => page == "tcp page\n", TimeSpan.FromSeconds(30), "the TCP route to carry HTTP");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("tcp page\n", await GetAsync(http, listen));
        }

        // One replica's VMM dies: its turn fails to connect, the edge takes the other one (and skips the dead one after).
        KillVmm(await VmIdAsync(gateway, "svc-tcp-1"));
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("tcp page\n", await GetAsync(http, listen));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"20 requests took {clock.Elapsed} with a replica dead");
        Assert.Contains("Edge TCP: port", _silo.Output);

        var deleted = await Form("route", "delete", "--tcp", $"{listen}", "--gateway", gateway);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        await Eventually.HoldsAsync(() => TryGetAsync(http, listen), page => page.Contains("refused", StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(10), "the port to close");
        Assert.Contains("No routes", (await Form("route", "list", "--gateway", gateway)).Out);
        Assert.Contains("No TCP route on port", (await Form("route", "delete", "--tcp", $"{listen}", "--gateway", gateway)).Error);
    }

    [Fact]
    public async Task RouteAdd_BadTcpArguments_AreRefusedBeforeConnecting()
    {
        var nowhere = $"127.0.0.1:{FreePorts.Next()}";
        var tls = await Form("route", "add", "--tcp", "5000", "--service", "s", "--port", "1", "--self-signed", "--gateway", nowhere);
        Assert.Equal(1, tls.ExitCode);
        Assert.Contains("TLS options", tls.Error);
        Assert.Contains("give the host name", (await Form("route", "add", "--service", "s", "--port", "1", "--gateway", nowhere)).Error);
        Assert.Contains("not a balancing policy", (await Form("route", "add", "--tcp", "5000", "--service", "s", "--port", "1", "--balance", "random", "--gateway", nowhere)).Error);
        Assert.Contains("one of them", (await Form("route", "delete", "--gateway", nowhere)).Error);
    }

    private static Task<FormRun> Form(params string[] args) => FormRun.ProcessAsync(args);

    /// <summary>GET / through the TCP route on a new connection (Connection: close), failing on an error status.</summary>
    private static async Task<string> GetAsync(HttpClient http, int port)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
        request.Headers.ConnectionClose = true;
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    private static async Task<string> TryGetAsync(HttpClient http, int port)
    {
        try
        {
            return await GetAsync(http, port);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
        {
            return $"error: {ex.Message} {(ex.InnerException as SocketException)?.SocketErrorCode}";
        }
    }

    private static async Task<string> VmIdAsync(string gateway, string name)
    {
        var show = await Form("vm", "show", name, "--json", "--gateway", gateway);
        using var doc = JsonDocument.Parse(show.Out);
        return doc.RootElement.GetProperty("vm").GetProperty("id").GetString()!;
    }

    private void KillVmm(string vmId)
    {
        var pidFile = Directory.EnumerateFiles(_scratch.Path, "vm.pid", SearchOption.AllDirectories).Single(f => f.Contains(vmId, StringComparison.Ordinal));
        Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture)).Kill();
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await QemuTestSilo.DisposeAsync(_silo, _scratch.Path, Node);
        _scratch.Dispose();
    }
}

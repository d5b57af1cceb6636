using System.Diagnostics;
using System.Text.Json;

namespace Formation.Cli.Tests.Deploy;

/// <summary>
/// Services for real (qemu driver, one node): `form deploy --replicas 2` runs two replicas; a redeploy with a changed
/// page rolls them one at a time (sampled throughout: never fewer than two serve) until only the new page is served; a
/// redeploy that cannot start fails with the reason and leaves the serving replicas alone; rollback brings the first
/// revision's image back (its digest was pinned); scale and delete.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ServiceRolloutCliTests : IAsyncLifetime
{
    private const string Node = "cli-svc";
    private readonly TestDirectory _scratch = new("service");
    private SiloProcess? _silo;

    [Fact]
    public async Task Deploy_Redeploy_FailedRedeploy_Rollback_Scale_Delete()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        var app = Path.Combine(_scratch.Path, "app");
        _scratch.Write("app/Formfile", "NAME svc-web\nFROM tiny\nMEM 128\nCOPY ./www /www\nEXPOSE 8080/tcp\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        _scratch.Write("app/www/index.html", "page v1\n");
        var edgePort = FreePorts.Next();
        var tlsPort = FreePorts.Next();
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions(Node, Path.Combine(_scratch.Path, "data")) { Driver = "qemu", EdgePort = edgePort, EdgeTlsPort = tlsPort });
        var gateway = _silo.Gateway;
        Assert.Contains($"edge proxy on port {edgePort}, TLS on {tlsPort}", _silo.Output);
        using var edge = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{edgePort}"), Timeout = TimeSpan.FromSeconds(10) };

        var first = await Form("deploy", app, "--replicas", "2", "--gateway", gateway);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Service svc-web revision 1: 2/2 replica(s) running.", first.Out);
        await AssertServesAsync(gateway, revision: 1, page: "page v1", replicas: 2);

        // The service's name in the node's DNS (on its bridge address, where guests ask) lists both replicas.
        var dns = await BridgeAddressAsync();
        var v1Addresses = await AddressesAsync(gateway, revision: 1);
        await Eventually.HoldsAsync(() => DigAsync(dns, "svc-web.fog"), a => a.SequenceEqual(v1Addresses), TimeSpan.FromSeconds(10), "svc-web.fog to list both replicas");
        Assert.Equal(["svc-web-1.fog.", "svc-web-2.fog."], (await DigAsync(dns, "_http._tcp.svc-web.fog", "SRV")).Select(a => a.Split(' ')[^1]).Order());

        // An edge route: bad ones are refused with nothing changed, a good one serves within a second or two.
        Assert.Contains("No service named 'nope'", (await Form("route", "add", "web.test", "--service", "nope", "--port", "8080", "--gateway", gateway)).Error);
        Assert.Contains("port 9999/tcp is not one of them", (await Form("route", "add", "web.test", "--service", "svc-web", "--port", "9999", "--gateway", gateway)).Error);
        Assert.Contains("is not a host name", (await Form("route", "add", "http://web.test/", "--service", "svc-web", "--port", "8080", "--gateway", gateway)).Error);
        var added = await Form("route", "add", "web.test", "--service", "svc-web", "--port", "8080", "--gateway", gateway);
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("already routes to service 'svc-web'", (await Form("route", "add", "WEB.test", "--service", "svc-web", "--port", "8080", "--gateway", gateway)).Error);
        Assert.Contains("no route for host 'other.test'", await EdgeGetAsync(edge, "other.test", allowError: true));
        await Eventually.HoldsAsync(() => EdgeGetAsync(edge, "web.test", allowError: true), page => page == "page v1\n", TimeSpan.FromSeconds(30), "the route to serve");

        // HTTPS: a certificate that does not match its key, or names another host, is refused; a self-signed route and
        // one with a given certificate answer over TLS, each presenting its own certificate (SNI).
        var good = WritePem("good.test");
        var other = WritePem("other.test");
        var mismatched = await Form("route", "add", "good.test", "--service", "svc-web", "--port", "8080", "--tls-cert", good.Cert, "--tls-key", other.Key, "--gateway", gateway);
        Assert.Contains("does not match its key", mismatched.Error);
        var wrongHost = await Form("route", "add", "good.test", "--service", "svc-web", "--port", "8080", "--tls-cert", other.Cert, "--tls-key", other.Key, "--gateway", gateway);
        Assert.Contains("not for 'good.test'", wrongHost.Error);
        Assert.Equal(1, (await Form("route", "add", "good.test", "--service", "svc-web", "--port", "8080", "--tls-cert", good.Cert, "--gateway", gateway)).ExitCode);
        Assert.DoesNotContain("good.test", (await Form("route", "list", "--gateway", gateway)).Out);
        var withCert = await Form("route", "add", "good.test", "--service", "svc-web", "--port", "8080", "--tls-cert", good.Cert, "--tls-key", good.Key, "--gateway", gateway);
        Assert.True(withCert.ExitCode == 0, withCert.ToString());
        var selfSigned = await Form("route", "add", "secure.test", "--service", "svc-web", "--port", "8080", "--self-signed", "--gateway", gateway);
        Assert.True(selfSigned.ExitCode == 0, selfSigned.ToString());
        Assert.Contains("self-signed", selfSigned.Out);
        var (goodBody, goodSeen) = await Eventually.HoldsAsync(() => HttpsGetAsync(tlsPort, "good.test"), r => r.Body == "page v1\n", TimeSpan.FromSeconds(30), "HTTPS for good.test");
        Assert.Equal(good.Thumbprint, goodSeen);
        var (_, secureSeen) = await Eventually.HoldsAsync(() => HttpsGetAsync(tlsPort, "secure.test"), r => r.Body == "page v1\n", TimeSpan.FromSeconds(30), "HTTPS for secure.test");
        Assert.NotEqual(good.Thumbprint, secureSeen);
        Assert.Contains("self-signed until", (await Form("route", "list", "--gateway", gateway)).Out);

        // Redeploy with a changed page, sampling the service and sending requests through the edge while it rolls.
        _scratch.Write("app/www/index.html", "page v2\n");
        using var sampling = new CancellationTokenSource();
        var samples = SampleAsync(gateway, sampling.Token);
        var traffic = TrafficAsync(edge, sampling.Token);
        var second = await Form("deploy", app, "--gateway", gateway);
        await sampling.CancelAsync();
        var seen = await samples;
        var answers = await traffic;
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(answers.Count >= 20, $"only {answers.Count} requests went through the edge during the rollout");
        Assert.All(answers, a => Assert.True(a is "page v1\n" or "page v2\n", $"a request during the rollout got: {a}"));
        Assert.Equal("page v2\n", await EdgeGetAsync(edge, "web.test"));
        var v2Addresses = await AddressesAsync(gateway, revision: 2);
        await Eventually.HoldsAsync(() => DigAsync(dns, "svc-web.fog"), a => a.SequenceEqual(v2Addresses), TimeSpan.FromSeconds(10), "svc-web.fog to list the new replicas only");
        Assert.Contains("revision 2: 2/2", second.Out);
        await _silo.WaitForOutputAsync(o => o.Contains("replaced by revision 2", StringComparison.Ordinal), "the replacement of revision 1");
        Assert.True(seen.Count >= 2, $"only {seen.Count} samples taken during the rollout");
        Assert.All(seen, s => Assert.True(s.Serving >= 2, $"a sample saw {s.Serving} serving replica(s): {s.Json}"));
        var servedV2 = await AssertServesAsync(gateway, revision: 2, page: "page v2", replicas: 2);
        Assert.DoesNotContain(servedV2, n => n is "svc-web-1" or "svc-web-2");

        // One replica's VMM dies: every one of 100 requests in a row still succeeds (the edge retries on the other).
        KillVmm(await VmIdAsync(gateway, servedV2[0]));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("page v2\n", await EdgeGetAsync(edge, "web.test"));
        }

        // A revision that cannot start: the rollout fails with the scheduler's reason, the two v2 replicas keep serving.
        var failed = await Form("deploy", app, "--memory", "900000", "--gateway", gateway);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("could not start replica svc-web-5 of revision 3", failed.Error);
        Assert.Contains("No node can host", failed.Error);
        await AssertServesAsync(gateway, revision: 3, page: "page v2", replicas: 2, servingRevision: 2);

        // Rollback twice: first from the failed revision 3 to 2 (nothing to replace), then to 1, whose image version is
        // no longer the tag's current one but was pinned by digest.
        var back = await Form("service", "rollback", "svc-web", "--gateway", gateway);
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Contains("revision 2 running", back.Out);
        var backAgain = await Form("service", "rollback", "svc-web", "--gateway", gateway);
        Assert.True(backAgain.ExitCode == 0, backAgain.ToString());
        await AssertServesAsync(gateway, revision: 1, page: "page v1", replicas: 2);

        var scale = await Form("service", "scale", "svc-web", "1", "--gateway", gateway);
        Assert.True(scale.ExitCode == 0, scale.ToString());
        await AssertServesAsync(gateway, revision: 1, page: "page v1", replicas: 1);

        var list = await Form("service", "list", "--gateway", gateway);
        Assert.Contains("svc-web", list.Out);
        Assert.Contains("1/1", list.Out);

        Assert.Contains("web.test", (await Form("route", "list", "--gateway", gateway)).Out);
        Assert.Equal(0, (await Form("route", "delete", "web.test", "--gateway", gateway)).ExitCode);
        Assert.Equal(0, (await Form("route", "delete", "good.test", "--gateway", gateway)).ExitCode);
        Assert.Equal(0, (await Form("route", "delete", "secure.test", "--gateway", gateway)).ExitCode);
        Assert.Contains("No routes", (await Form("route", "list", "--gateway", gateway)).Out);

        var delete = await Form("service", "delete", "svc-web", "--gateway", gateway);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains("No VMs", (await Form("vm", "list", "--gateway", gateway)).Out);
        var gone = await Form("service", "show", "svc-web", "--gateway", gateway);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("No service named 'svc-web'", gone.Error);
    }

    [Fact]
    public async Task SiloKilledMidRollout_TheRestartedSiloFinishesIt_WithoutDuplicates()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        var app = Path.Combine(_scratch.Path, "app");
        _scratch.Write("app/Formfile", "NAME svc-web\nFROM tiny\nMEM 128\nCOPY ./www /www\nEXPOSE 8080/tcp\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        _scratch.Write("app/www/index.html", "page v1\n");
        var options = new SiloProcessOptions(Node, Path.Combine(_scratch.Path, "data")) { Driver = "qemu" };
        _silo = await SiloProcess.StartAsync(options);
        var gateway = _silo.Gateway;
        var first = await Form("deploy", app, "--replicas", "2", "--gateway", gateway);
        Assert.True(first.ExitCode == 0, first.ToString());

        // Start the second rollout and kill the silo once its first new replica exists, before the rollout is done.
        _scratch.Write("app/www/index.html", "page v2\n");
        var second = Form("deploy", app, "--gateway", gateway);
        var rolling = await Eventually.HoldsAsync(
            () => Form("service", "show", "svc-web", "--json", "--gateway", gateway),
            show => show.ExitCode == 0 && show.Out.Contains("\"revision\": 2,") && show.Out.Contains("svc-web-3"),
            TimeSpan.FromMinutes(3), "the rollout to revision 2 to start its first new replica");
        Assert.Contains("\"rollout\": \"rolling\"", rolling.Out);
        await _silo.KillAsync();
        var interrupted = await second;
        Assert.NotEqual(0, interrupted.ExitCode);

        _silo = await SiloProcess.StartAsync(options);
        await Eventually.HoldsAsync(
            () => Form("service", "show", "svc-web", "--json", "--gateway", gateway),
            show => show.ExitCode == 0 && show.Out.Contains("\"rollout\": \"steady\""),
            TimeSpan.FromMinutes(3), "the restarted silo to finish the rollout");
        var names = await AssertServesAsync(gateway, revision: 2, page: "page v2", replicas: 2);
        Assert.Equal(["svc-web-3", "svc-web-4"], names.Order());
        var list = await Form("vm", "list", "--json", "--gateway", gateway);
        using var vms = JsonDocument.Parse(list.Out);
        Assert.Equal(2, vms.RootElement.GetArrayLength());
    }

    /// <summary>
    /// The health check comes from the Formfile's HEALTHCHECK (no flags); a flag changes one of its values. The silo also
    /// runs the public DNS listener: the routed service's public name answers the node's address (which the edge serves
    /// it on), and neither the fog zone, a replica's name nor a replica's address is answered there.
    /// </summary>
    [Fact]
    public async Task HealthCheck_GatesTheRollout_ANewReplicaThatNeverPassesFailsIt_TheOldOneServes()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        var app = Path.Combine(_scratch.Path, "app");
        _scratch.Write("app/Formfile", "NAME svc-web\nFROM tiny\nMEM 128\nCOPY ./www /www\nEXPOSE 8080/tcp\nHEALTHCHECK http 8080 /ok.html interval=1s start=20s\n" +
                                       "ENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
        _scratch.Write("app/www/index.html", "page v1\n");
        _scratch.Write("app/www/ok.html", "ok\n");
        var edgePort = FreePorts.Next();
        var publicDns = FreePorts.Next();
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions(Node, Path.Combine(_scratch.Path, "data"))
        {
            Driver = "qemu", EdgePort = edgePort, ExtraArguments = ["--dns-public", $"127.0.0.1:{publicDns}", "--dns-public-zone", "apps.test"],
        });
        var gateway = _silo.Gateway;
        string[] health = ["--health-start", "15"]; // changes the Formfile's start period (20 s)

        var first = await Form("deploy", app, "--gateway", gateway);
        Assert.True(first.ExitCode == 0, first.ToString());
        var shown = await Form("service", "show", "svc-web", "--gateway", gateway);
        Assert.Contains("health passing", shown.Out);
        Assert.Contains("health check http 8080/ok.html every 1 s", shown.Out);
        Assert.Contains("http 8080/ok.html every 1 s, 3 failed in a row, 20 s to start", (await Form("image", "show", "svc-web", "--gateway", gateway)).Out);

        // Split horizon: no public name before a route sends the edge to the service; then the node's address, which serves it.
        var replica = Assert.Single(await AddressesAsync(gateway, revision: 1));
        Assert.Contains("status: NXDOMAIN", await DigFullAsync(publicDns, "svc-web.apps.test"));
        var routed = await Form("route", "add", "svc-web.apps.test", "--service", "svc-web", "--port", "8080", "--gateway", gateway);
        Assert.True(routed.ExitCode == 0, routed.ToString());
        await Eventually.HoldsAsync(() => DigAsync("127.0.0.1", "svc-web.apps.test", port: publicDns), a => a.SequenceEqual(["127.0.0.1"]), TimeSpan.FromSeconds(10),
            "the public name to answer the node's address");
        using (var edge = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{edgePort}"), Timeout = TimeSpan.FromSeconds(10) })
        {
            // The edge and the public names follow the route catalog each on its own 1 s loop, so either may be first.
            await Eventually.HoldsAsync(() => EdgeGetAsync(edge, "svc-web.apps.test", allowError: true), page => page == "page v1\n", TimeSpan.FromSeconds(10),
                "the edge to serve the public name");
        }

        Assert.Contains("status: NXDOMAIN", await DigFullAsync(publicDns, "svc-web-1.apps.test"));
        foreach (var inside in new[] { "svc-web.fog", "svc-web-1.fog", "_http._tcp.svc-web.fog" })
        {
            var output = await DigFullAsync(publicDns, inside);
            Assert.Contains("status: REFUSED", output);
            Assert.DoesNotContain(replica, output);
        }

        Assert.DoesNotContain(replica, await DigFullAsync(publicDns, "svc-web.apps.test", "ANY"));
        Assert.Equal([replica], await DigAsync(await BridgeAddressAsync(), "svc-web.fog")); // the inside still has it

        // Revision 2 has no /ok.html: its replica boots, but its check answers 404 until the start period ends.
        File.Delete(Path.Combine(_scratch.Path, "app/www/ok.html"));
        _scratch.Write("app/www/index.html", "page v2\n");
        var second = await Form(["deploy", app, .. health, "--gateway", gateway]);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("replica svc-web-2 of revision 2 failed: its health check (http 8080/ok.html) did not pass within 15 s", second.Error);
        Assert.Contains("HTTP 404", second.Error);
        Assert.Contains("1 replica(s) of revision 1 still serve", second.Error);
        await AssertServesAsync(gateway, revision: 2, page: "page v1", replicas: 1, servingRevision: 1, total: 2);

        var back = await Form("service", "rollback", "svc-web", "--gateway", gateway);
        Assert.True(back.ExitCode == 0, back.ToString());
        await AssertServesAsync(gateway, revision: 1, page: "page v1", replicas: 1);
    }

    [Fact]
    public async Task Deploy_BadReplicaCountOrHealthCheck_IsRefusedBeforeConnecting()
    {
        _scratch.Write("ok/Formfile", "NAME x\nFROM tiny\n");
        var run = await Form("deploy", Path.Combine(_scratch.Path, "ok"), "--replicas", "500", "--gateway", $"127.0.0.1:{FreePorts.Next()}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--replicas 500 is out of range", run.Error);

        var health = await Form("deploy", Path.Combine(_scratch.Path, "ok"), "--health-http", "web/healthz", "--gateway", $"127.0.0.1:{FreePorts.Next()}");
        Assert.Equal(1, health.ExitCode);
        Assert.Contains("is not PORT/PATH", health.Error);
        var orphan = await Form("deploy", Path.Combine(_scratch.Path, "ok"), "--health-interval", "5", "--gateway", $"127.0.0.1:{FreePorts.Next()}");
        Assert.Contains("need --health-http or --health-tcp", orphan.Error);

        // A bad HEALTHCHECK is the Formfile's error, at its line and column; a flag that makes the Formfile's check invalid is named.
        _scratch.Write("hc/Formfile", "NAME x\nFROM tiny\nEXPOSE 8080\nHEALTHCHECK http 9090 /healthz\n");
        var unexposed = await Form("deploy", Path.Combine(_scratch.Path, "hc"), "--gateway", $"127.0.0.1:{FreePorts.Next()}");
        Assert.Equal(1, unexposed.ExitCode);
        Assert.Contains("Formfile:4:18: error FF008: HEALTHCHECK port 9090 is not EXPOSEd over tcp (EXPOSEd: 8080)", unexposed.Error);
        Assert.Contains("nothing was deployed", unexposed.Error);
        _scratch.Write("hc/Formfile", "NAME x\nFROM tiny\nEXPOSE 8080\nHEALTHCHECK http 8080 /healthz interval=5s\n");
        var shorter = await Form("deploy", Path.Combine(_scratch.Path, "hc"), "--health-start", "2", "--gateway", $"127.0.0.1:{FreePorts.Next()}");
        Assert.Equal(1, shorter.ExitCode);
        Assert.Contains("start period 2 s must be at least the interval", shorter.Error);
    }

    /// <summary>
    /// Checks the service is steady at <paramref name="revision"/> with <paramref name="replicas"/> serving replicas of
    /// <paramref name="servingRevision"/> (default: the same), each answering <paramref name="page"/>. Returns their names.
    /// </summary>
    private static async Task<List<string>> AssertServesAsync(string gateway, int revision, string page, int replicas, int? servingRevision = null, int? total = null)
    {
        var show = await Form("service", "show", "svc-web", "--json", "--gateway", gateway);
        Assert.True(show.ExitCode == 0, show.ToString());
        using var doc = JsonDocument.Parse(show.Out);
        var root = doc.RootElement;
        Assert.Equal(revision, root.GetProperty("revision").GetInt32());
        var serving = root.GetProperty("replicaList").EnumerateArray()
            .Where(r => r.GetProperty("serving").GetBoolean() && r.GetProperty("revision").GetInt32() == (servingRevision ?? revision))
            .Select(r => (Name: r.GetProperty("name").GetString()!, Address: r.GetProperty("address").GetString()!))
            .ToList();
        Assert.True(serving.Count == replicas, show.Out);
        Assert.Equal(total ?? replicas, root.GetProperty("replicaList").GetArrayLength());
        foreach (var (_, address) in serving)
        {
            Assert.Contains(page, await QemuTestSilo.GetAsync($"http://{address}:8080/"));
        }

        return [.. serving.Select(s => s.Name)];
    }

    private static async Task<List<(int Serving, string Json)>> SampleAsync(string gateway, CancellationToken stop)
    {
        var samples = new List<(int, string)>();
        while (!stop.IsCancellationRequested)
        {
            var show = await Form("service", "show", "svc-web", "--json", "--gateway", gateway);
            if (show.ExitCode == 0)
            {
                using var doc = JsonDocument.Parse(show.Out);
                samples.Add((doc.RootElement.GetProperty("replicaList").EnumerateArray().Count(r => r.GetProperty("serving").GetBoolean()), show.Out));
            }
        }

        return samples;
    }

    private static Task<FormRun> Form(params string[] args) => FormRun.ProcessAsync(args);

    /// <summary>GET / through the edge proxy with the given Host; an error status fails unless <paramref name="allowError"/>.</summary>
    private static async Task<string> EdgeGetAsync(HttpClient edge, string host, bool allowError = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = host;
        using var response = await edge.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(allowError || response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Requests through the edge one after another until stopped; every answer (or error) is kept.</summary>
    private static async Task<List<string>> TrafficAsync(HttpClient edge, CancellationToken stop)
    {
        var answers = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/");
                request.Headers.Host = "web.test";
                using var response = await edge.SendAsync(request, CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                answers.Add(response.IsSuccessStatusCode ? body : $"{(int)response.StatusCode}: {body}");
            }
            catch (Exception ex)
            {
                answers.Add($"error: {ex.Message}");
            }

            await Task.Delay(50, CancellationToken.None);
        }

        return answers;
    }

    /// <summary>A certificate and key for <paramref name="host"/>, written as PEM files; with the certificate's thumbprint.</summary>
    private (string Cert, string Key, string Thumbprint) WritePem(string host)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={host}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        _scratch.Write($"tls/{host}.crt", cert.ExportCertificatePem());
        _scratch.Write($"tls/{host}.key", key.ExportPkcs8PrivateKeyPem());
        return (Path.Combine(_scratch.Path, "tls", $"{host}.crt"), Path.Combine(_scratch.Path, "tls", $"{host}.key"), cert.Thumbprint);
    }

    /// <summary>GET https://HOST/ through the edge's TLS port on loopback (SNI = HOST); the body and the presented certificate's thumbprint.</summary>
    private static async Task<(string Body, string? Thumbprint)> HttpsGetAsync(int port, string host)
    {
        string? seen = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => { seen = cert?.GetCertHashString(); return true; } },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            return (await http.GetStringAsync($"https://{host}:{port}/"), seen);
        }
        catch (HttpRequestException ex)
        {
            return ($"error: {ex.Message}", seen);
        }
    }

    /// <summary>The node's bridge address (its DNS listens there).</summary>
    private static async Task<string> BridgeAddressAsync()
    {
        var ip = Process.Start(new ProcessStartInfo("ip", ["-4", "-o", "addr", "show", "dev", Silo.Network.HostNetwork.BridgeNameFor(Node)]) { RedirectStandardOutput = true })!;
        var output = await ip.StandardOutput.ReadToEndAsync();
        await ip.WaitForExitAsync();
        return System.Text.RegularExpressions.Regex.Match(output, @"inet ([0-9.]+)/").Groups[1].Value;
    }

    /// <summary>The whole output of <c>dig</c> asking the public listener on loopback.</summary>
    private static async Task<string> DigFullAsync(int port, string name, string type = "A")
    {
        var dig = Process.Start(new ProcessStartInfo("dig", ["@127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), name, type,
            "+tries=1", "+time=2", "+nocookie"]) { RedirectStandardOutput = true })!;
        var output = await dig.StandardOutput.ReadToEndAsync();
        await dig.WaitForExitAsync();
        return output;
    }

    /// <summary>The answers of <c>dig +short</c> (sorted), from the node's DNS.</summary>
    private static async Task<List<string>> DigAsync(string server, string name, string type = "A", int port = 53)
    {
        var dig = Process.Start(new ProcessStartInfo("dig", [$"@{server}", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), name, type, "+short", "+tries=1", "+time=2"]) { RedirectStandardOutput = true })!;
        var output = await dig.StandardOutput.ReadToEndAsync();
        await dig.WaitForExitAsync();
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)];
    }

    /// <summary>The addresses of the service's serving replicas of <paramref name="revision"/> (sorted).</summary>
    private static async Task<List<string>> AddressesAsync(string gateway, int revision)
    {
        var show = await Form("service", "show", "svc-web", "--json", "--gateway", gateway);
        using var doc = JsonDocument.Parse(show.Out);
        return [.. doc.RootElement.GetProperty("replicaList").EnumerateArray()
            .Where(r => r.GetProperty("serving").GetBoolean() && r.GetProperty("revision").GetInt32() == revision)
            .Select(r => r.GetProperty("address").GetString()!).Order(StringComparer.Ordinal)];
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

using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>
/// A real silo's HTTP API learns its caller from the kernel: another local user (run under setpriv as nobody) is refused
/// with 401 and changes nothing; root is served as the admin, and what it changes lands in the audit trail, which
/// <c>GET /v1/audit</c> and <c>form audit</c> show.
/// </summary>
public sealed class HttpApiCallerTests(HttpApiSilo api) : IClassFixture<HttpApiSilo>
{
    private const int Nobody = 65534;

    private readonly HttpClient _http = api.Http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OtherLocalUser_IsRefusedWith401_AndNothingChanges_RootIsServed()
    {
        Prerequisites.Require(Environment.UserName == "root", "setpriv needs root to run curl as another user");
        var body = "{\"name\":\"intruder-vm\",\"vCpus\":1,\"memoryMiB\":64,\"diskGiB\":0}";

        var create = await CurlAsNobodyAsync("-X", "POST", "-H", "Content-Type: application/json", "--data", body, Url("/v1/vms"));
        var list = await CurlAsNobodyAsync(Url("/v1/vms"));
        var audit = await CurlAsNobodyAsync(Url("/v1/audit"));

        foreach (var (status, text) in new[] { create, list, audit })
        {
            Assert.True(status == 401, $"expected 401, got {status}: {text}");
            var error = JsonNode.Parse(text)!;
            Assert.Equal("Unauthenticated", error["kind"]!.GetValue<string>());
            Assert.Contains($"uid {Nobody}", error["message"]!.GetValue<string>());
            Assert.Contains("--credential", error["message"]!.GetValue<string>());
        }

        var vms = JsonNode.Parse(await _http.GetStringAsync("/v1/vms", Ct))!.AsArray();
        Assert.DoesNotContain(vms, v => v!["name"]!.GetValue<string>() == "intruder-vm");
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct); // past the audit writer's flush: a refused request leaves no row either
        var rows = JsonNode.Parse(await _http.GetStringAsync("/v1/audit", Ct))!.AsArray();
        Assert.DoesNotContain(rows, r => r!["arguments"]!.GetValue<string>().Contains("intruder-vm", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RootRequests_AreAuditedAsAdmin_WithTheirOutcome_AndFormAuditShowsThem()
    {
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync()).StatusCode);
        await HttpApiSilo.AssertErrorAsync(await CreateAsync(), HttpStatusCode.Conflict, "Conflict");
        Assert.Equal(HttpStatusCode.Accepted, (await _http.DeleteAsync("/v1/vms/audited-vm", Ct)).StatusCode);

        // This test's rows: its two creates (named in the arguments) and its delete (the class's only one).
        var rows = await Eventually.HoldsAsync(async () => JsonNode.Parse(await _http.GetStringAsync("/v1/audit?account=admin&since=1h", Ct))!.AsArray()
                .Where(x => x!["action"]!.GetValue<string>() == "Vm.Delete" || x["arguments"]!.GetValue<string>().Contains("audited-vm", StringComparison.Ordinal))
                .ToList(),
            r => r.Any(x => x!["action"]!.GetValue<string>() == "Vm.Delete"), TimeSpan.FromSeconds(30), "the creates and the delete in the trail");
        Assert.Equal(["VmCatalog.CreateVm", "VmCatalog.CreateVm", "Vm.Delete"], rows.Select(r => r!["action"]!.GetValue<string>()));
        var create = rows[0]!;
        Assert.Equal("admin", create["account"]!.GetValue<string>());
        Assert.Equal("ok", create["result"]!.GetValue<string>());
        Assert.Contains("audited-vm", create["arguments"]!.GetValue<string>());
        Assert.Equal("http-node", create["node"]!.GetValue<string>());
        var failed = rows[1]!;
        Assert.Equal("Conflict", failed["result"]!.GetValue<string>());
        Assert.Contains("already exists", failed["error"]!.GetValue<string>());
        Assert.Equal("ok", rows[2]!["result"]!.GetValue<string>());

        var table = await FormProcess.RunAsync(["audit", "--gateway", api.Silo.Gateway, "--since", "1h"], cancellationToken: Ct);
        var json = await FormProcess.RunAsync(["audit", "--gateway", api.Silo.Gateway, "--limit", "2", "--json"], cancellationToken: Ct);
        var badSince = await FormProcess.RunAsync(["audit", "--gateway", api.Silo.Gateway, "--since", "yesterday"], cancellationToken: Ct);

        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("TIME", lines[0]);
        Assert.Contains(lines, l => l.Contains("admin") && l.Contains("VmCatalog.CreateVm") && l.Contains(" ok"));
        Assert.Contains(lines, l => l.Contains("Conflict: ") && l.Contains("already exists"));
        Assert.Contains("Vm.Delete", lines[^1]); // newest last
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(2, JsonNode.Parse(json.Out)!.AsArray().Count);
        Assert.Equal(1, badSince.ExitCode);
        Assert.Contains("--since 'yesterday' is not a duration", badSince.Error);
    }

    [Fact]
    public async Task FormAuditFollow_PrintsRowsMadeAfterItStarted()
    {
        using var follow = FormProcess.Start(["audit", "--follow", "--json", "--account", "admin", "--gateway", api.Silo.Gateway]);
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reading = Task.Run(async () =>
        {
            while (await follow.StandardOutput.ReadLineAsync(Ct) is { } line)
            {
                lines.Enqueue(line);
            }
        }, Ct);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3), Ct); // let it start and print what is there
            var created = await _http.PostAsync("/v1/vms",
                new StringContent("{\"name\":\"followed-vm\",\"vCpus\":1,\"memoryMiB\":64,\"diskGiB\":0}", Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            await Eventually.TrueAsync(() => lines.Any(l => l.Contains("followed-vm", StringComparison.Ordinal)), TimeSpan.FromSeconds(60),
                "form audit --follow printing the new create");
            var row = JsonNode.Parse(lines.First(l => l.Contains("followed-vm", StringComparison.Ordinal)))!;
            Assert.Equal(("admin", "VmCatalog.CreateVm", "ok"),
                (row["account"]!.GetValue<string>(), row["action"]!.GetValue<string>(), row["result"]!.GetValue<string>()));
        }
        finally
        {
            follow.Kill();
            await follow.WaitForExitAsync(Ct);
        }
    }

    private Task<HttpResponseMessage> CreateAsync() => _http.PostAsync("/v1/vms",
        new StringContent("{\"name\":\"audited-vm\",\"vCpus\":1,\"memoryMiB\":64,\"diskGiB\":0}", Encoding.UTF8, "application/json"), Ct);

    private string Url(string path) => $"http://127.0.0.1:{api.Silo.Options.HttpPort}{path}";

    /// <summary>curl run as nobody: the HTTP status and the body.</summary>
    private static async Task<(int Status, string Body)> CurlAsNobodyAsync(params string[] args)
    {
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "curl", "-sS", "-w", "\n%{http_code}" }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"curl as nobody failed ({process.ExitCode}): {error}");
        var split = output.LastIndexOf('\n');
        return (int.Parse(output[(split + 1)..].Trim()), output[..split]);
    }
}

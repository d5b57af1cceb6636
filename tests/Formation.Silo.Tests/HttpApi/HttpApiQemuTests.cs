using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Formation.Silo.Tests.Deploy;
using Formation.Vms;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>
/// The HTTP API's exec, snapshot, restore and clone against a real TCG guest under the qemu driver: a command's
/// output, stdin, exit code, timeout and output cap; a file written after a snapshot is gone after the restore; a clone
/// made through <c>POST /v1/vms</c> answers exec with its own hostname; deleted snapshots are gone from the list.
/// </summary>
[Trait("Category", "Slow")]
public sealed class HttpApiQemuTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExecSnapshotRestoreClone_ThroughTheHttpApi_OnARealGuest()
    {
        DeployFixture.RequireEnvironment();
        TestEnvironment.RequireGuestAgent();
        var options = fixture.Silo("http-qemu", Path.Combine(fixture.Root, "http-qemu"));
        await using var silo = await SiloProcess.StartAsync(options);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{options.HttpPort}"), Timeout = TimeSpan.FromMinutes(3) };

        // Everything through the API, as automation would: build the image, create the VM, wait until it runs.
        var context = HttpApiTests.Tar(gzip: true, ("Formfile", Encoding.UTF8.GetBytes(DeployFixture.WebFormfile)), ("www/index.html", "hello\n"u8.ToArray()));
        var build = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/builds?reference=httpweb:1") { Content = new ByteArrayContent(context) },
            HttpCompletionOption.ResponseHeadersRead, Ct);
        await using (var events = new EventStreamReader(build))
        {
            var end = await events.UntilAsync("end", _ => true, TimeSpan.FromMinutes(3), "the build's end");
            Assert.Equal("Succeeded", end["phase"]!.GetValue<string>());
        }

        var create = await http.PostAsync("/v1/vms", Json("""{"name":"http-src","vCpus":1,"memoryMiB":256,"diskGiB":1,"image":"httpweb:1"}"""), Ct);
        Assert.True(create.StatusCode == HttpStatusCode.Created, await create.Content.ReadAsStringAsync(Ct));
        var id = JsonNode.Parse(await create.Content.ReadAsStringAsync(Ct))!["id"]!.GetValue<string>();
        await UntilStateAsync(http, "http-src", "Running");

        var mixed = await ExecAsync(http, "http-src", """{"command":["sh","-c","cat; echo err >&2; exit 3"],"stdin":"hello through http"}""");
        Assert.Equal((3, "hello through http", "err\n", false), (mixed["exitCode"]!.GetValue<int>(), mixed["stdout"]!.GetValue<string>(),
            mixed["stderr"]!.GetValue<string>(), mixed["truncated"]!.GetValue<bool>()));
        var missing = await ExecAsync(http, "http-src", """{"command":["no-such-command"]}""");
        Assert.Equal(127, missing["exitCode"]!.GetValue<int>());
        var slow = await ExecAsync(http, "http-src", """{"command":["sleep","30"],"timeoutSeconds":1}""");
        Assert.Equal(ExecRun.TimedOut, slow["exitCode"]!.GetValue<int>());
        Assert.Contains("did not finish within 1 s", slow["error"]!.GetValue<string>());
        var large = await ExecAsync(http, "http-src", """{"command":["sh","-c","seq 1 300000"],"timeoutSeconds":120}""");
        Assert.Equal((0, 1 << 20, true), (large["exitCode"]!.GetValue<int>(), large["stdout"]!.GetValue<string>().Length, large["truncated"]!.GetValue<bool>()));

        // Snapshot, then change the guest; the restore brings back the state of the snapshot.
        var taken = await http.PostAsync($"/v1/vms/{id}/snapshots", Json("""{"name":"http-snap"}"""), Ct);
        Assert.True(taken.StatusCode == HttpStatusCode.Created, await taken.Content.ReadAsStringAsync(Ct));
        var listed = JsonNode.Parse(await http.GetStringAsync("/v1/snapshots?vm=http-src", Ct))!.AsArray();
        Assert.Equal("http-snap", Assert.Single(listed)!["name"]!.GetValue<string>());
        Assert.Equal(0, (await ExecAsync(http, "http-src", """{"command":["sh","-c","echo after > /tmp/after"]}"""))["exitCode"]!.GetValue<int>());
        var restored = await http.PostAsync("/v1/vms/http-src/restore", Json("""{"snapshot":"http-snap"}"""), Ct);
        Assert.True(restored.IsSuccessStatusCode, await restored.Content.ReadAsStringAsync(Ct));
        await UntilStateAsync(http, "http-src", "Running");
        var after = await Eventually.HoldsAsync(() => ExecAsync(http, "http-src", """{"command":["ls","/tmp/after"]}"""),
            r => r["exitCode"]!.GetValue<int>() != ExecRun.TimedOut, TimeSpan.FromSeconds(60), "the restored guest's agent answers");
        Assert.NotEqual(0, after["exitCode"]!.GetValue<int>());

        // A clone through POST /v1/vms: its guest has its own name.
        var clone = await http.PostAsync("/v1/vms", Json("""{"name":"http-clone","fromSnapshot":"http-snap"}"""), Ct);
        Assert.True(clone.StatusCode == HttpStatusCode.Created, await clone.Content.ReadAsStringAsync(Ct));
        await UntilStateAsync(http, "http-clone", "Running");
        var hostname = await Eventually.HoldsAsync(() => ExecAsync(http, "http-clone", """{"command":["hostname"]}"""),
            r => r["exitCode"]!.GetValue<int>() == 0, TimeSpan.FromSeconds(60), "the clone answers exec");
        Assert.Equal("http-clone\n", hostname["stdout"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync("/v1/vms/http-clone", Ct)).StatusCode);
        var deleted = await http.DeleteAsync("/v1/snapshots/http-snap", Ct);
        Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync(Ct));
        Assert.Empty(JsonNode.Parse(await http.GetStringAsync("/v1/snapshots", Ct))!.AsArray());
        Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync("/v1/vms/http-src", Ct)).StatusCode);
    }

    private static async Task<JsonNode> ExecAsync(HttpClient http, string vm, string body)
    {
        var response = await http.PostAsync($"/v1/vms/{vm}/exec", Json(body), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"exec {body}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Waits until the VM is in <paramref name="state"/>; fails at once, with its reason, when it failed.</summary>
    private static async Task UntilStateAsync(HttpClient http, string vm, string state)
    {
        var shown = await Eventually.HoldsAsync(async () => JsonNode.Parse(await http.GetStringAsync($"/v1/vms/{vm}", Ct))!["vm"]!,
            v => v["state"]!.GetValue<string>() is var s && (s == state || s == "Failed"), TimeSpan.FromSeconds(180), $"{vm} is {state}");
        Assert.True(shown["state"]!.GetValue<string>() == state, shown.ToJsonString());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}

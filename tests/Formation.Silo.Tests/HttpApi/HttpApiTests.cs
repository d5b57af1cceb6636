using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>
/// The HTTP API of a real formation-silo process: VMs, nodes, images, events and builds with the CLI's errors as JSON,
/// what the HTTP layer refuses (bad JSON, oversized bodies and contexts, unknown routes), OpenAPI, loopback only.
/// </summary>
public sealed class HttpApiTests(HttpApiSilo api) : IClassFixture<HttpApiSilo>
{
    private readonly HttpClient _http = api.Http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Vms_CreateIdempotentlyShowActDelete_WithTheCliErrors()
    {
        var nodes = JsonNode.Parse(await _http.GetStringAsync("/v1/nodes", Ct))!.AsArray();
        Assert.Equal("http-node", Assert.Single(nodes)!["info"]!["nodeId"]!.GetValue<string>());

        var first = await CreateAsync("http-vm", "key-1");
        var retry = await CreateAsync("http-vm", "key-1");
        var duplicate = await CreateAsync("http-vm", null);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        var id = (await HttpApiSilo.JsonOf(first))["id"]!.GetValue<string>();
        Assert.Equal(id, (await HttpApiSilo.JsonOf(retry))["id"]!.GetValue<string>());
        Assert.Contains("already exists", await HttpApiSilo.AssertErrorAsync(duplicate, HttpStatusCode.Conflict, "Conflict"));
        Assert.Single(JsonNode.Parse(await _http.GetStringAsync("/v1/vms", Ct))!.AsArray(), v => v!["id"]!.GetValue<string>() == id);
        Assert.Equal(id, JsonNode.Parse(await _http.GetStringAsync("/v1/vms/http-vm", Ct))!["vm"]!["id"]!.GetValue<string>());

        var badAction = await _http.PostAsync("/v1/vms/http-vm/frobnicate", null, Ct);
        Assert.Contains("use start, stop, pause, resume or reboot", await HttpApiSilo.AssertErrorAsync(badAction, HttpStatusCode.BadRequest, "InvalidArgument"));

        var deleted = await _http.DeleteAsync("/v1/vms/http-vm", Ct);
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await Eventually.HoldsAsync(() => _http.GetAsync("/v1/vms/http-vm", Ct), r => r.StatusCode == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30), "VM gone");
        await HttpApiSilo.AssertErrorAsync(await _http.GetAsync("/v1/vms/http-vm", Ct), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task BadInput_IsRefusedWithAReason_InTheOneErrorShape()
    {
        await HttpApiSilo.AssertErrorAsync(await CreateAsync("Not_A_Label", null), HttpStatusCode.BadRequest, "InvalidArgument");
        Assert.StartsWith("Idempotency-Key must be", await HttpApiSilo.AssertErrorAsync(await CreateAsync("http-badkey", "has space"), HttpStatusCode.BadRequest, "InvalidArgument"));
        var badShape = await _http.PostAsync("/v1/vms", new StringContent(
            "{\"name\":\"http-shape\",\"vCpus\":0,\"memoryMiB\":64}", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal("vCpus must be between 1 and 128 (got 0).", await HttpApiSilo.AssertErrorAsync(badShape, HttpStatusCode.BadRequest, "InvalidArgument"));

        var badPublish = await _http.PostAsync("/v1/vms", new StringContent(
            "{\"name\":\"http-pub\",\"vCpus\":1,\"memoryMiB\":64,\"diskGiB\":0,\"publish\":[\"8080:80/sctp\"]}", Encoding.UTF8, "application/json"), Ct);
        Assert.StartsWith("publish '8080:80/sctp'", await HttpApiSilo.AssertErrorAsync(badPublish, HttpStatusCode.BadRequest, "InvalidArgument"));

        var notJson = await _http.PostAsync("/v1/vms", new StringContent("{not json", Encoding.UTF8, "application/json"), Ct);
        Assert.Contains("not valid JSON", await HttpApiSilo.AssertErrorAsync(notJson, HttpStatusCode.BadRequest, "InvalidArgument"));

        var wrongType = await _http.PostAsync("/v1/vms", new StringContent("{}", Encoding.UTF8, "text/plain"), Ct);
        Assert.Contains("Content-Type: application/json", await HttpApiSilo.AssertErrorAsync(wrongType, HttpStatusCode.UnsupportedMediaType, "InvalidArgument"));

        await HttpApiSilo.AssertErrorAsync(await _http.GetAsync("/v1/no-such-thing", Ct), HttpStatusCode.NotFound, "NotFound");
        await HttpApiSilo.AssertErrorAsync(await _http.PutAsync("/v1/vms", null, Ct), HttpStatusCode.MethodNotAllowed, "InvalidArgument");
    }

    [Fact]
    public async Task OversizedBody_WithOrWithoutContentLength_Gets413InTheOneErrorShape()
    {
        var huge = $"{{\"name\":\"{new string('a', 200_000)}\"}}";
        var declared = await _http.PostAsync("/v1/vms", new StringContent(huge, Encoding.UTF8, "application/json"), Ct);
        Assert.Contains("larger than 65536 bytes", await HttpApiSilo.AssertErrorAsync(declared, HttpStatusCode.RequestEntityTooLarge, "TooLarge"));

        // Chunked: the length is not known up front, so the limit has to hold while the body is read.
        var chunked = new HttpRequestMessage(HttpMethod.Post, "/v1/vms") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge))) };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        await HttpApiSilo.AssertErrorAsync(await _http.SendAsync(chunked, Ct), HttpStatusCode.RequestEntityTooLarge, "TooLarge");

        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/v1/nodes", Ct)).StatusCode);
    }

    [Fact]
    public async Task Events_HistoryThenLive_ForOneVmAndForAll()
    {
        var created = await CreateAsync("http-ev", "ev-1");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await HttpApiSilo.JsonOf(created))["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await HttpApiSilo.JsonOf(await _http.GetAsync("/v1/vms/http-ev", Ct)))["vm"]!["state"]!.GetValue<string>(),
            s => s == "Running", TimeSpan.FromSeconds(30), "http-ev Running");

        await using var one = await api.OpenEventsAsync("/v1/vms/http-ev/events", Ct);
        Assert.Equal(HttpStatusCode.OK, one.Response.StatusCode);
        Assert.Equal("text/event-stream", one.Response.Content.Headers.ContentType?.MediaType);
        await one.UntilAsync("vm", e => e["to"]!.GetValue<string>() == "Running", TimeSpan.FromSeconds(10), "the Running transition from the history");

        await using var all = await api.OpenEventsAsync("/v1/events?history=false", Ct);
        Assert.Equal(HttpStatusCode.OK, all.Response.StatusCode);

        // Both streams are subscribed once their headers are in: what happens now arrives live.
        Assert.Equal(HttpStatusCode.OK, (await _http.PostAsync("/v1/vms/http-ev/stop", null, Ct)).StatusCode);
        var stopped = await one.UntilAsync("vm", e => e["to"]!.GetValue<string>() == "Stopped", TimeSpan.FromSeconds(30), "the live Stopped transition");
        Assert.Equal(id, stopped["vmId"]!.GetValue<string>());
        await all.UntilAsync("vm", e => e["vmId"]!.GetValue<string>() == id && e["to"]!.GetValue<string>() == "Stopped", TimeSpan.FromSeconds(30),
            "the Stopped transition on the cluster-wide stream");

        await HttpApiSilo.AssertErrorAsync(await _http.GetAsync("/v1/vms/no-such-vm/events", Ct), HttpStatusCode.NotFound, "NotFound");
        Assert.Equal(HttpStatusCode.Accepted, (await _http.DeleteAsync("/v1/vms/http-ev", Ct)).StatusCode);
    }

    [Fact]
    public async Task Build_StreamsProgress_ThenTheImageIsListedShownAndDeleted()
    {
        var context = Tar(gzip: true, ("Formfile", "NAME httpimg\nFROM tiny\nCOPY ./www /www\n"u8.ToArray()), ("www/index.html", "hello\n"u8.ToArray()));
        var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/builds?reference=httpimg:1") { Content = new ByteArrayContent(context) },
            HttpCompletionOption.ResponseHeadersRead, Ct);
        await using var events = new EventStreamReader(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var started = await events.UntilAsync("started", _ => true, TimeSpan.FromSeconds(30), "the started event");
        Assert.Equal("httpimg:1", started["reference"]!.GetValue<string>());
        Assert.Equal("http-node", started["nodeId"]!.GetValue<string>());
        await events.UntilAsync("progress", p => p["kind"]!.GetValue<string>() == "StepCompleted" && p["description"]!.GetValue<string>().StartsWith("COPY"),
            TimeSpan.FromMinutes(2), "the COPY step's progress");
        var end = await events.UntilAsync("end", _ => true, TimeSpan.FromMinutes(2), "the end event");
        Assert.Equal("Succeeded", end["phase"]!.GetValue<string>());
        var digest = end["manifest"]!["digest"]!.GetValue<string>();

        Assert.Contains(JsonNode.Parse(await _http.GetStringAsync("/v1/images", Ct))!.AsArray(), i => i!["reference"]!.GetValue<string>() == "httpimg:1");
        var shown = JsonNode.Parse(await _http.GetStringAsync("/v1/images/httpimg:1", Ct))!;
        Assert.Equal(digest, shown["status"]!["digest"]!.GetValue<string>());
        Assert.Equal("httpimg", shown["manifest"]!["name"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync("/v1/images/httpimg:1", Ct)).StatusCode);
        await HttpApiSilo.AssertErrorAsync(await _http.GetAsync("/v1/images/httpimg:1", Ct), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Services_DeployScaleRouteDelete_WithTheCliErrors()
    {
        var context = Tar(gzip: false, ("Formfile", "NAME httpsvc\nFROM tiny\nMEM 64\nEXPOSE 8080/tcp\n"u8.ToArray()));
        var build = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/builds?reference=httpsvc:1") { Content = new ByteArrayContent(context) },
            HttpCompletionOption.ResponseHeadersRead, Ct);
        await using (var events = new EventStreamReader(build))
        {
            Assert.Equal("Succeeded", (await events.UntilAsync("end", _ => true, TimeSpan.FromMinutes(2), "the build's end"))["phase"]!.GetValue<string>());
        }

        await HttpApiSilo.AssertErrorAsync(await _http.PutAsJsonAsync("/v1/services/httpsvc", new { image = "nope:1" }, Ct), HttpStatusCode.NotFound, "NotFound");
        await HttpApiSilo.AssertErrorAsync(await _http.PutAsJsonAsync("/v1/services/httpsvc", new { image = "httpsvc:1", replicas = 500 }, Ct), HttpStatusCode.BadRequest, "InvalidArgument");
        Assert.Equal("memoryMiB must be between 64 and 1048576 MiB (got 1).", await HttpApiSilo.AssertErrorAsync(
            await _http.PutAsJsonAsync("/v1/services/httpsvc", new { image = "httpsvc:1", memoryMiB = 1 }, Ct), HttpStatusCode.BadRequest, "InvalidArgument"));
        var deployed = await _http.PutAsJsonAsync("/v1/services/httpsvc", new { image = "httpsvc:1", replicas = 2 }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, deployed.StatusCode);
        var steady = await Eventually.HoldsAsync(
            async () => JsonNode.Parse(await _http.GetStringAsync("/v1/services/httpsvc", Ct))!,
            s => s["rollout"]!.GetValue<string>() == "Steady" && s["replicaList"]!.AsArray().Count == 2, TimeSpan.FromSeconds(60), "two replicas running");
        Assert.Equal(["httpsvc-1", "httpsvc-2"], steady["replicaList"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).Order());
        Assert.Contains(JsonNode.Parse(await _http.GetStringAsync("/v1/services", Ct))!.AsArray(), s => s!["name"]!.GetValue<string>() == "httpsvc");

        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsJsonAsync("/v1/services/httpsvc/scale", new { replicas = 1 }, Ct)).StatusCode);
        await Eventually.HoldsAsync(
            async () => JsonNode.Parse(await _http.GetStringAsync("/v1/services/httpsvc", Ct))!,
            s => s["rollout"]!.GetValue<string>() == "Steady" && s["replicaList"]!.AsArray().Count == 1, TimeSpan.FromSeconds(60), "scaled to one");
        Assert.Contains("no earlier revision",
            await HttpApiSilo.AssertErrorAsync(await _http.PostAsync("/v1/services/httpsvc/rollback", null, Ct), HttpStatusCode.Conflict, "Conflict"));

        Assert.Contains("not one of them", await HttpApiSilo.AssertErrorAsync(
            await _http.PostAsJsonAsync("/v1/routes", new { host = "api.test", service = "httpsvc", port = 9 }, Ct), HttpStatusCode.BadRequest, "InvalidArgument"));
        Assert.Equal(HttpStatusCode.Created, (await _http.PostAsJsonAsync("/v1/routes", new { host = "api.test", service = "httpsvc", port = 8080, selfSigned = true }, Ct)).StatusCode);
        var listed = Assert.Single(JsonNode.Parse(await _http.GetStringAsync("/v1/routes", Ct))!.AsArray(), r => r!["host"]!.GetValue<string>() == "api.test")!;
        Assert.True(listed["tls"]!["selfSigned"]!.GetValue<bool>());
        Assert.DoesNotContain("PRIVATE KEY", listed.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync("/v1/routes/api.test", Ct)).StatusCode);
        await HttpApiSilo.AssertErrorAsync(await _http.DeleteAsync("/v1/routes/api.test", Ct), HttpStatusCode.NotFound, "NotFound");

        // TCP routes: a listen port out of range, one of the node's own, a missing service or unexposed port are refused
        // with nothing stored; a good one is listed (with its balance) and deleted.
        var gatewayPort = int.Parse(JsonNode.Parse(await _http.GetStringAsync("/v1/nodes", Ct))!.AsArray()[0]!["info"]!["gatewayEndpoint"]!.GetValue<string>().Split(':')[^1]);
        var listen = FreePorts.Next();
        Assert.Contains("out of range", await HttpApiSilo.AssertErrorAsync(
            await _http.PostAsJsonAsync("/v1/routes/tcp", new { listenPort = 22, service = "httpsvc", port = 8080 }, Ct), HttpStatusCode.BadRequest, "InvalidArgument"));
        Assert.Contains("node 'http-node' itself listens on", await HttpApiSilo.AssertErrorAsync(
            await _http.PostAsJsonAsync("/v1/routes/tcp", new { listenPort = gatewayPort, service = "httpsvc", port = 8080 }, Ct), HttpStatusCode.Conflict, "Conflict"));
        Assert.Contains("not one of them", await HttpApiSilo.AssertErrorAsync(
            await _http.PostAsJsonAsync("/v1/routes/tcp", new { listenPort = listen, service = "httpsvc", port = 9 }, Ct), HttpStatusCode.BadRequest, "InvalidArgument"));
        await HttpApiSilo.AssertErrorAsync(
            await _http.PostAsJsonAsync("/v1/routes/tcp", new { listenPort = listen, service = "nope", port = 8080 }, Ct), HttpStatusCode.NotFound, "NotFound");
        Assert.Contains("least-requests", await HttpApiSilo.AssertErrorAsync(
            await _http.PostAsJsonAsync("/v1/routes/tcp", new { listenPort = listen, service = "httpsvc", port = 8080, balance = "random" }, Ct), HttpStatusCode.BadRequest, "InvalidArgument"));
        Assert.Empty(JsonNode.Parse(await _http.GetStringAsync("/v1/routes/tcp", Ct))!.AsArray());
        Assert.Equal(HttpStatusCode.Created, (await _http.PostAsJsonAsync("/v1/routes/tcp", new { listenPort = listen, service = "httpsvc", port = 8080, balance = "least-requests" }, Ct)).StatusCode);
        Assert.Contains("already routes to service 'httpsvc'", await HttpApiSilo.AssertErrorAsync(
            await _http.PostAsJsonAsync("/v1/routes/tcp", new { listenPort = listen, service = "httpsvc", port = 8080 }, Ct), HttpStatusCode.Conflict, "Conflict"));
        var tcpListed = Assert.Single(JsonNode.Parse(await _http.GetStringAsync("/v1/routes/tcp", Ct))!.AsArray())!;
        Assert.Equal(listen, tcpListed["listenPort"]!.GetValue<int>());
        Assert.Equal("LeastRequests", tcpListed["balance"]!.ToString());
        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync($"/v1/routes/tcp/{listen}", Ct)).StatusCode);
        await HttpApiSilo.AssertErrorAsync(await _http.DeleteAsync($"/v1/routes/tcp/{listen}", Ct), HttpStatusCode.NotFound, "NotFound");

        Assert.Equal(HttpStatusCode.Accepted, (await _http.DeleteAsync("/v1/services/httpsvc", Ct)).StatusCode);
        await Eventually.HoldsAsync(() => _http.GetAsync("/v1/services/httpsvc", Ct), r => r.StatusCode == HttpStatusCode.NotFound, TimeSpan.FromSeconds(60), "the service gone");
        Assert.DoesNotContain(JsonNode.Parse(await _http.GetStringAsync("/v1/vms", Ct))!.AsArray(), v => v!["name"]!.GetValue<string>().StartsWith("httpsvc-"));
    }

    [Fact]
    public async Task Build_BadContexts_AreRefusedBeforeAnythingIsBuilt()
    {
        var notTar = await _http.PostAsync("/v1/builds", new ByteArrayContent(Encoding.ASCII.GetBytes("this is not a tar archive")), Ct);
        Assert.Contains("not a tar archive", await HttpApiSilo.AssertErrorAsync(notTar, HttpStatusCode.BadRequest, "InvalidArgument"));

        var noFormfile = await _http.PostAsync("/v1/builds", new ByteArrayContent(Tar(gzip: false, ("www/index.html", "x"u8.ToArray()))), Ct);
        Assert.Contains("no file 'Formfile'", await HttpApiSilo.AssertErrorAsync(noFormfile, HttpStatusCode.BadRequest, "InvalidArgument"));

        var badFormfile = await _http.PostAsync("/v1/builds", new ByteArrayContent(Tar(gzip: false, ("Formfile", "NAME x\nFROM nothing\n"u8.ToArray()))), Ct);
        Assert.Contains("FF003", await HttpApiSilo.AssertErrorAsync(badFormfile, HttpStatusCode.BadRequest, "InvalidArgument"));

        var badReference = await _http.PostAsync("/v1/builds?reference=Bad%21Name", new ByteArrayContent(Tar(gzip: false, ("Formfile", "NAME x\nFROM tiny\n"u8.ToArray()))), Ct);
        await HttpApiSilo.AssertErrorAsync(badReference, HttpStatusCode.BadRequest, "InvalidArgument");

        // A gzip body a few KiB long that expands past this silo's 1 MiB context limit: refused while it expands.
        var bomb = Tar(gzip: true, ("Formfile", "NAME bomb\nFROM tiny\n"u8.ToArray()), ("zeros", new byte[4 << 20]));
        Assert.True(bomb.Length < 64 * 1024, $"the bomb is {bomb.Length} bytes");
        var expanded = await _http.PostAsync("/v1/builds", new ByteArrayContent(bomb), Ct);
        Assert.Contains("after decompression", await HttpApiSilo.AssertErrorAsync(expanded, HttpStatusCode.RequestEntityTooLarge, "TooLarge"));

        Assert.DoesNotContain(JsonNode.Parse(await _http.GetStringAsync("/v1/images", Ct))!.AsArray(),
            i => i!["reference"]!.GetValue<string>() is "x:latest" or "bomb:latest");
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheRoutes()
    {
        var document = JsonNode.Parse(await _http.GetStringAsync("/openapi/v1.json", Ct))!;

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToArray();
        Assert.Equal(["/v1/audit", "/v1/builds", "/v1/events", "/v1/images", "/v1/images/{reference}", "/v1/nodes", "/v1/routes", "/v1/routes/tcp", "/v1/routes/tcp/{port}", "/v1/routes/{host}",
            "/v1/services", "/v1/services/{name}", "/v1/services/{name}/rollback", "/v1/services/{name}/scale", "/v1/snapshots", "/v1/snapshots/{snapshot}",
            "/v1/vms", "/v1/vms/{vm}", "/v1/vms/{vm}/events", "/v1/vms/{vm}/exec", "/v1/vms/{vm}/restore", "/v1/vms/{vm}/snapshots", "/v1/vms/{vm}/{action}"], paths.Order(StringComparer.Ordinal));
        Assert.NotNull(document["components"]!["schemas"]!["HttpApiError"]);
    }

    [Fact]
    public async Task Listener_IsOnLoopbackOnly()
    {
        var external = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Prerequisites.Require(external is not null, "a non-loopback IPv4 address on this host to connect to");

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(external!, api.Silo.Options.HttpPort, Ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private Task<HttpResponseMessage> CreateAsync(string name, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/vms")
        {
            Content = new StringContent($"{{\"name\":\"{name}\",\"vCpus\":1,\"memoryMiB\":64,\"diskGiB\":0}}", Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return _http.SendAsync(request, Ct);
    }

    internal static byte[] Tar(bool gzip, params (string Name, byte[] Data)[] files)
    {
        var output = new MemoryStream();
        using (Stream target = gzip ? new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true) : output)
        using (var tar = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
            }
        }

        return output.ToArray();
    }
}

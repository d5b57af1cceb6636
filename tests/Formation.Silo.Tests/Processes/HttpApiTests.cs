using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.Processes;

/// <summary>The HTTP API of a real formation-silo process: VMs and nodes, the CLI's errors as JSON, limits, OpenAPI.</summary>
public sealed class HttpApiTests : IAsyncLifetime
{
    private readonly TestDirectory _data = new();
    private readonly HttpClient _http = new();
    private SiloProcess _silo = null!;

    public async ValueTask InitializeAsync()
    {
        _silo = await SiloProcess.StartAsync(new SiloProcessOptions("http-node", Path.Combine(_data.Path, "silo")));
        _http.BaseAddress = new Uri($"http://127.0.0.1:{_silo.Options.HttpPort}");
    }

    [Fact]
    public async Task Vms_CreateIdempotentlyShowActDelete_WithTheCliErrors()
    {
        var nodes = JsonNode.Parse(await _http.GetStringAsync("/v1/nodes"))!.AsArray();
        Assert.Equal("http-node", Assert.Single(nodes)!["info"]!["nodeId"]!.GetValue<string>());

        var first = await CreateAsync("http-vm", "key-1");
        var retry = await CreateAsync("http-vm", "key-1");
        var duplicate = await CreateAsync("http-vm", null);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        var id = (await Json(first))["id"]!.GetValue<string>();
        Assert.Equal(id, (await Json(retry))["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        var conflict = await Json(duplicate);
        Assert.Equal("Conflict", conflict["kind"]!.GetValue<string>());
        Assert.Contains("already exists", conflict["message"]!.GetValue<string>());
        Assert.Single(JsonNode.Parse(await _http.GetStringAsync("/v1/vms"))!.AsArray(), v => v!["id"]!.GetValue<string>() == id);
        Assert.Equal(id, JsonNode.Parse(await _http.GetStringAsync("/v1/vms/http-vm"))!["vm"]!["id"]!.GetValue<string>());

        var badAction = await _http.PostAsync("/v1/vms/http-vm/frobnicate", null);
        Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
        Assert.Contains("use start, stop, pause, resume or reboot", (await Json(badAction))["message"]!.GetValue<string>());

        var deleted = await _http.DeleteAsync("/v1/vms/http-vm");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await Eventually.HoldsAsync(() => _http.GetAsync("/v1/vms/http-vm"), r => r.StatusCode == HttpStatusCode.NotFound, TimeSpan.FromSeconds(30), "VM gone");
        var missing = await Json(await _http.GetAsync("/v1/vms/http-vm"));
        Assert.Equal("NotFound", missing["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task BadInput_IsRefusedWithAReason()
    {
        var invalid = await CreateAsync("Not_A_Label", null);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("InvalidArgument", (await Json(invalid))["kind"]!.GetValue<string>());

        var badKey = await CreateAsync("http-badkey", "has space");
        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
        Assert.Contains("--request-id", (await Json(badKey))["message"]!.GetValue<string>());

        var notJson = await _http.PostAsync("/v1/vms", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        var huge = await _http.PostAsync("/v1/vms", new StringContent($"{{\"name\":\"{new string('a', 200_000)}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    [Fact]
    public async Task OneClient_BeyondItsConcurrencyAndQueue_Gets429_AndIsServedAgainAfterwards()
    {
        // Requests whose bodies never arrive hold their permits: 8 in progress and 32 queued fill this client's share.
        var stalled = new List<Socket>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                stalled.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, _silo.Options.HttpPort);
                await socket.SendAsync(Encoding.ASCII.GetBytes(
                    "POST /v1/vms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"));
            }

            await Eventually.HoldsAsync(() => _http.GetAsync("/v1/nodes"), r => r.StatusCode == HttpStatusCode.TooManyRequests,
                TimeSpan.FromSeconds(10), "429 once the client's share is full");
        }
        finally
        {
            foreach (var socket in stalled)
            {
                socket.Dispose();
            }
        }

        await Eventually.HoldsAsync(() => _http.GetAsync("/v1/nodes"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "served again");
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheRoutes()
    {
        var document = JsonNode.Parse(await _http.GetStringAsync("/openapi/v1.json"))!;

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToArray();
        Assert.Contains("/v1/vms", paths);
        Assert.Contains("/v1/vms/{vm}", paths);
        Assert.Contains("/v1/nodes", paths);
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
        var refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(external!, _silo.Options.HttpPort));
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

        return _http.SendAsync(request);
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _silo.DisposeAsync();
        _data.Dispose();
    }
}

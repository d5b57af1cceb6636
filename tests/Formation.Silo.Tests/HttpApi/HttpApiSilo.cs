using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>
/// A real formation-silo process (sim driver) and an HTTP client pointed at its HTTP API; one per test class. The
/// helpers read error bodies and server-sent events the way any client would: from the bytes on the wire.
/// </summary>
public class HttpApiSilo : IAsyncLifetime
{
    private readonly TestDirectory _data = new();

    public SiloProcess Silo { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(3) };

    /// <summary>Settings of this class's silo (Formation__HttpApi__… variables).</summary>
    protected virtual Dictionary<string, string> Environment => new() { ["Formation__HttpApi__MaxBuildContextBytes"] = (1 << 20).ToString() };

    public async ValueTask InitializeAsync()
    {
        Silo = await SiloProcess.StartAsync(new SiloProcessOptions("http-node", Path.Combine(_data.Path, "silo")) { Environment = Environment });
        Http.BaseAddress = new Uri($"http://127.0.0.1:{Silo.Options.HttpPort}");
    }

    public static async Task<JsonNode> JsonOf(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>Asserts an error response: its status, and a body of the one error shape with this kind.</summary>
    public static async Task<string> AssertErrorAsync(HttpResponseMessage response, System.Net.HttpStatusCode status, string kind)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(kind, body["kind"]!.GetValue<string>());
        var message = body["message"]!.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message;
    }

    /// <summary>Opens an event stream and returns once its headers are in (the silo has subscribed by then).</summary>
    public async Task<EventStreamReader> OpenEventsAsync(string path, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return new EventStreamReader(response);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Silo.DisposeAsync();
        _data.Dispose();
        GC.SuppressFinalize(this);
    }
}

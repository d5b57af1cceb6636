using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Formation.Edge;
using Formation.Silo.Edge;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Edge;

/// <summary>
/// The edge proxy's protocols, end to end on this host: a real <see cref="EdgeProxyHost"/> in front of a Kestrel backend
/// (a host process stands in for a replica; the guests' path is <c>ServiceRolloutCliTests</c>). A WebSocket upgrade
/// passes through both ways (over HTTP/1.1, and over HTTP/2 by extended CONNECT on the TLS port); an HTTP/2 client on
/// the TLS port gets h2 by ALPN, and one with prior knowledge on the h2c port; HTTP/1.1 keeps working.
/// </summary>
public sealed class EdgeProxyProtocolTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly EdgeTable _table = new(TimeProvider.System);
    private readonly EdgeOptions _options = new() { HttpPort = FreePorts.Next(), Explicit = true, HttpsPort = FreePorts.Next(), HttpsExplicit = true, H2cPort = FreePorts.Next() };
    private EdgeProxyHost? _edge;
    private WebApplication? _backend;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var backendPort = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, backendPort));
        _backend = builder.Build();
        _backend.UseWebSockets();
        _backend.MapGet("/", (HttpContext c) => $"backend saw {c.Request.Protocol} for {c.Request.Headers.Host} via {c.Request.Headers["X-Forwarded-Proto"]}");
        _backend.Map("/ws", async (HttpContext c) =>
        {
            if (!c.WebSockets.IsWebSocketRequest)
            {
                c.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await c.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var message = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                await socket.SendAsync(Encoding.UTF8.GetBytes("echo " + Encoding.UTF8.GetString(buffer, 0, message.Count)), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        });
        await _backend.StartAsync(Ct);

        var destination = $"http://127.0.0.1:{backendPort}/";
        _table.Replace([(new EdgeRoute("localhost", "svc", backendPort, Now), [destination]), (new EdgeRoute("h2.test", "svc", backendPort, Now), [destination])]);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=h2.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("h2.test");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(Now.AddHours(-1), Now.AddDays(1));
        _table.ReplaceCertificates([new EdgeCertificate("h2.test", cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem())], (h, ex) => throw ex);
        _edge = new EdgeProxyHost(_table, _options, NullLogger<EdgeProxyHost>.Instance);
        await _edge.StartAsync(Ct);
    }

    [Fact]
    public async Task WebSocket_UpgradesThroughTheEdge_AndEchoesBothWays()
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://localhost:{_options.HttpPort}/ws"), Ct);
        await AssertEchoesAsync(ws);
    }

    [Fact]
    public async Task WebSocket_OverHttp2_OnTheTlsPort_ReachesAnHttp11Backend()
    {
        using var ws = new ClientWebSocket();
        ws.Options.HttpVersion = HttpVersion.Version20;
        ws.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact; // RFC 8441 extended CONNECT, or fail
        ws.Options.CollectHttpResponseDetails = true;
        using var invoker = new HttpMessageInvoker(TlsHandler());
        await ws.ConnectAsync(new Uri($"wss://h2.test:{_options.HttpsPort}/ws"), invoker, Ct);
        Assert.Equal(HttpStatusCode.OK, ws.HttpStatusCode); // an HTTP/2 WebSocket is accepted with 200, not 101
        await AssertEchoesAsync(ws);
    }

    private static async Task AssertEchoesAsync(ClientWebSocket ws)
    {
        var buffer = new byte[4096];
        foreach (var text in new[] { "one", "two", new string('x', 3000) })
        {
            await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Ct);
            var received = new StringBuilder();
            WebSocketReceiveResult result;
            do
            {
                result = await ws.ReceiveAsync(buffer, Ct);
                received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
            while (!result.EndOfMessage);
            Assert.Equal("echo " + text, received.ToString());
        }

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
    }

    [Fact]
    public async Task Http2_OverTls_IsNegotiatedByAlpn_AndAnswered()
    {
        using var http = TlsClient();
        using var h2 = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"https://h2.test:{_options.HttpsPort}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, Ct);
        Assert.Equal(HttpVersion.Version20, h2.Version);
        Assert.Equal($"backend saw HTTP/1.1 for h2.test:{_options.HttpsPort} via https", await h2.Content.ReadAsStringAsync(Ct));

        using var h1 = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"https://h2.test:{_options.HttpsPort}/")
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, Ct);
        Assert.Equal(HttpVersion.Version11, h1.Version);
        Assert.Equal(HttpStatusCode.OK, h1.StatusCode);
    }

    [Fact]
    public async Task Http11_OnThePlainPort_StillAnswers()
    {
        using var http = new HttpClient();
        Assert.Equal($"backend saw HTTP/1.1 for localhost:{_options.HttpPort} via http", await http.GetStringAsync($"http://localhost:{_options.HttpPort}/", Ct));
    }

    [Fact]
    public async Task Http2_Cleartext_IsServedOnTheH2cPort_NotOnThePlainOne()
    {
        using var http = new HttpClient();
        using var h2c = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://localhost:{_options.H2cPort}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, Ct);
        Assert.Equal(HttpVersion.Version20, h2c.Version);
        Assert.Equal($"backend saw HTTP/1.1 for localhost:{_options.H2cPort} via http", await h2c.Content.ReadAsStringAsync(Ct));

        // The plain port is HTTP/1.1 (Kestrel cannot tell h2c from HTTP/1.1 there): a prior-knowledge client is told so.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://localhost:{_options.HttpPort}/")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, Ct));
        // Kestrel answers the preface with GOAWAY HTTP_1_1_REQUIRED and closes; a client that sees the close first says
        // the HTTP/2 connection could not be established (seen once under load in CI). Either way: refused, not served.
        Assert.True(
            refused.Message.Contains("HTTP_1_1_REQUIRED", StringComparison.Ordinal) ||
            refused.Message.Contains("An HTTP/2 connection could not be established", StringComparison.Ordinal),
            refused.Message);
    }

    /// <summary>An HTTPS client that reaches the edge's TLS port on loopback whatever host it names (SNI), trusting its certificate.</summary>
    private HttpClient TlsClient() => new(TlsHandler());

    private SocketsHttpHandler TlsHandler() => new()
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, _options.HttpsPort, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    };

    public async ValueTask DisposeAsync()
    {
        if (_edge is not null)
        {
            await _edge.StopAsync(CancellationToken.None);
            await _edge.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }
}

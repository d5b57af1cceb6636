using System.Net;
using System.Net.Sockets;
using System.Text;
using Formation.Edge;
using Formation.Silo.Edge;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Edge;

/// <summary>
/// The edge's instruments, recorded by a real <see cref="EdgeProxyHost"/> in front of a Kestrel backend and a real
/// <see cref="EdgeTcpProxy"/> in front of a TCP echo server: requests by route and status, errors by type, TCP
/// connections by outcome and the bytes carried each way.
/// </summary>
public sealed class EdgeMetricsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly MeterRecorder _meters = new();
    private readonly EdgeTable _table = new(TimeProvider.System);
    private readonly EdgeOptions _options = new() { HttpPort = FreePorts.Next(), Explicit = true, HttpsPort = 0, ConnectTimeout = TimeSpan.FromSeconds(1) };
    private readonly int _tcpPort = FreePorts.Next();
    private readonly TcpListener _echo = new(IPAddress.Loopback, 0);
    private WebApplication? _backend;
    private EdgeProxyHost? _edge;
    private EdgeTcpProxy? _tcp;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var port = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        _backend = builder.Build();
        _backend.MapGet("/", () => "hello");
        await _backend.StartAsync(Ct);
        _echo.Start();
        _ = EchoAsync();

        var metrics = new EdgeMetrics(_meters);
        _table.Replace([
            (new EdgeRoute("web.test", "svc", 1, Now), [$"http://127.0.0.1:{port}/"]),
            (new EdgeRoute("empty.test", "none", 1, Now), []),
        ]);
        _edge = new EdgeProxyHost(_table, _options, NullLogger<EdgeProxyHost>.Instance, metrics);
        await _edge.StartAsync(Ct);
        _tcp = new EdgeTcpProxy(_table, _options, NullLogger<EdgeTcpProxy>.Instance, metrics);
        await _tcp.StartAsync(Ct);
        _table.ReplaceTcp([(new EdgeTcpRoute(_tcpPort, "svc", 1, Now), [_echo.LocalEndpoint.ToString()!])]);
    }

    [Fact]
    public async Task HttpRequests_AreRecordedByRouteAndStatus_FailuresByErrorType()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, "web.test"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(http, "nosuch.test"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetAsync(http, "empty.test"));

        var requests = await Eventually.HoldsAsync(() => Task.FromResult(_meters.Of("formation.edge.request.duration")), r => r.Count == 3,
            TimeSpan.FromSeconds(10), "three recorded requests");
        Assert.All(requests, r => Assert.Equal("s", r.Unit));
        Assert.All(requests, r => Assert.Equal("GET", r.Tag("http.request.method")));
        Assert.Contains(requests, r => r.Tag("formation.edge.route") == "web.test" && r.Tag("http.response.status_code") == "200" && r.Value > 0);
        Assert.Contains(requests, r => r.Tag("formation.edge.route") == EdgeMetrics.NoRoute && r.Tag("http.response.status_code") == "404");
        Assert.Contains(requests, r => r.Tag("formation.edge.route") == "empty.test" && r.Tag("http.response.status_code") == "503");

        var errors = _meters.Of("formation.edge.request.errors");
        Assert.Equal(["no_route", "no_replica"], errors.Select(e => e.Tag("error.type")).Order(StringComparer.Ordinal).Reverse());
        Assert.DoesNotContain(errors, e => e.Tag("formation.edge.route") == "web.test");
    }

    [Fact]
    public async Task TcpConnection_IsCountedAsForwarded_ItsBytesEachWay_AndIsNoLongerOpenAfterItEnds()
    {
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _tcpPort), Ct);
            await client.SendAsync(Encoding.ASCII.GetBytes("twelve bytes"), SocketFlags.None, Ct);
            var buffer = new byte[64];
            var read = 0;
            while (read < 12)
            {
                read += await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, Ct);
            }

            client.Shutdown(SocketShutdown.Both);
        }

        var open = await Eventually.HoldsAsync(() => Task.FromResult(_meters.Of("formation.edge.tcp.active_connections")),
            o => o.Count == 2, TimeSpan.FromSeconds(10), "the connection to open and end");
        Assert.Equal(0, open.Sum(o => o.Value));
        Assert.All(open, o => Assert.Equal(_tcpPort.ToString(), o.Tag("formation.edge.port")));
        var connection = Assert.Single(_meters.Of("formation.edge.tcp.connections"));
        Assert.Equal("forwarded", connection.Tag("formation.edge.outcome"));
        var bytes = _meters.Of("formation.edge.tcp.io");
        Assert.Equal(12, bytes.Where(b => b.Tag("network.io.direction") == "receive").Sum(b => b.Value));
        Assert.Equal(12, bytes.Where(b => b.Tag("network.io.direction") == "transmit").Sum(b => b.Value));
        Assert.All(bytes, b => Assert.Equal("By", b.Unit));
    }

    private async Task<HttpStatusCode> GetAsync(HttpClient http, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_options.HttpPort}/");
        request.Headers.Host = host;
        using var response = await http.SendAsync(request, Ct);
        return response.StatusCode;
    }

    /// <summary>Echoes every connection's bytes back until it ends.</summary>
    private async Task EchoAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _echo.AcceptSocketAsync();
                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        var buffer = new byte[1024];
                        int read;
                        try
                        {
                            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                            {
                                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                            }

                            socket.Shutdown(SocketShutdown.Send);
                        }
                        catch (SocketException)
                        {
                        }
                    }
                });
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_tcp is not null)
        {
            await _tcp.DisposeAsync();
        }

        if (_edge is not null)
        {
            await _edge.StopAsync(CancellationToken.None);
            await _edge.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        _echo.Stop();
        _meters.Dispose();
    }
}

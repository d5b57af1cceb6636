using System.Net;
using System.Net.Sockets;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>
/// Bounded concurrency per client, on a silo with tiny limits (2 requests in progress, 1 queued) so the test decides
/// what holds the permits: open event streams, which stay in progress until the test closes them. Nothing depends on
/// timing, so a loaded machine cannot change the outcome.
/// </summary>
public sealed class HttpApiLimitsTests(HttpApiLimitsTests.TightSilo api) : IClassFixture<HttpApiLimitsTests.TightSilo>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneClient_BeyondItsConcurrencyAndQueue_Gets429_AndIsServedAgainAfterwards()
    {
        var first = await api.OpenEventsAsync("/v1/events?history=false", Ct);
        await using var second = await api.OpenEventsAsync("/v1/events?history=false", Ct);
        Assert.Equal(HttpStatusCode.OK, first.Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.Response.StatusCode);

        // Both permits are held; of two more requests one waits in the queue and the other is refused.
        var a = api.Http.GetAsync("/v1/nodes", Ct);
        var b = api.Http.GetAsync("/v1/nodes", Ct);
        var refused = await Task.WhenAny(a, b);
        var queued = refused == a ? b : a;
        var message = await HttpApiSilo.AssertErrorAsync(await refused, HttpStatusCode.TooManyRequests, "TooManyRequests");
        Assert.Contains("2 requests in progress and 1 waiting", message);
        Assert.False(queued.IsCompleted, "the queued request was answered while both permits were still held");

        // Closing one stream frees its permit: the queued request is served.
        await first.DisposeAsync();
        Assert.Equal(HttpStatusCode.OK, (await queued.WaitAsync(TimeSpan.FromSeconds(30), Ct)).StatusCode);
        await second.DisposeAsync();
        await Eventually.HoldsAsync(() => api.Http.GetAsync("/v1/nodes", Ct), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "served again");
    }

    [Fact]
    public async Task HttpPortInUse_SiloRefusesToStart_NamingTheFlag()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var data = new TestDirectory();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SiloProcess.StartAsync(new SiloProcessOptions("http-busy", data.Path) { HttpPort = port }));

        Assert.Contains($"port {port} (--http-port) is already in use", refused.Message);
    }

    /// <summary>The silo of this class: 2 requests in progress per client, 1 queued.</summary>
    public sealed class TightSilo : HttpApiSilo
    {
        protected override Dictionary<string, string> Environment => new()
        {
            ["Formation__HttpApi__ConcurrencyPerClient"] = "2",
            ["Formation__HttpApi__QueuePerClient"] = "1",
        };
    }
}

using System.Net;
using Formation.Edge;
using Formation.Silo.Edge;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Edge;

/// <summary>
/// Balancing through a real <see cref="EdgeProxyHost"/> to two Kestrel backends, A and B: while one of them holds a slow
/// request, a least-requests route sends every new request to the other; a round-robin route keeps alternating.
/// </summary>
public sealed class EdgeProxyBalanceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly EdgeTable _table = new(TimeProvider.System);
    private readonly EdgeOptions _options = new() { HttpPort = FreePorts.Next(), Explicit = true, HttpsPort = 0 };
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<WebApplication> _backends = [];
    private EdgeProxyHost? _edge;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var a = await StartBackendAsync("A");
        var b = await StartBackendAsync("B");
        _table.Replace([
            (new EdgeRoute("least.test", "svc", 1, Now, Balance: EdgeBalance.LeastRequests), [a, b]),
            (new EdgeRoute("turns.test", "svc", 1, Now), [a, b]),
        ]);
        _edge = new EdgeProxyHost(_table, _options, NullLogger<EdgeProxyHost>.Instance);
        await _edge.StartAsync(Ct);
    }

    [Theory]
    [InlineData("least.test", true)]
    [InlineData("turns.test", false)]
    public async Task WhileOneBackendHoldsARequest_NewOnesGoTo(string host, bool onlyTheIdleOne)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = http.SendAsync(Request(host, "/hold"), Ct);
        var holder = await _held.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await http.SendAsync(Request(host, "/"), Ct);
            answers.Add(await response.Content.ReadAsStringAsync(Ct));
        }

        _release.SetResult();
        using var held = await slow;
        Assert.Equal($"{holder} held", await held.Content.ReadAsStringAsync(Ct));
        if (onlyTheIdleOne)
        {
            Assert.All(answers, a => Assert.NotEqual(holder, a));
        }
        else
        {
            Assert.Equal(3, answers.Count(a => a == holder));
        }
    }

    /// <summary>A request to the edge on loopback, for <paramref name="host"/>.</summary>
    private HttpRequestMessage Request(string host, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_options.HttpPort}{path}");
        request.Headers.Host = host;
        return request;
    }

    private async Task<string> StartBackendAsync(string name)
    {
        var port = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/", () => name);
        app.MapGet("/hold", async () =>
        {
            _held.TrySetResult(name);
            await _release.Task;
            return $"{name} held";
        });
        await app.StartAsync(Ct);
        _backends.Add(app);
        return $"http://127.0.0.1:{port}/";
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        if (_edge is not null)
        {
            await _edge.StopAsync(CancellationToken.None);
            await _edge.DisposeAsync();
        }

        foreach (var app in _backends)
        {
            await app.DisposeAsync();
        }
    }
}

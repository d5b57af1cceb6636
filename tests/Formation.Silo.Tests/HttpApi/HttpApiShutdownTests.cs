using System.Diagnostics;
using System.Net;

namespace Formation.Silo.Tests.HttpApi;

/// <summary>A silo with clients following its event stream still stops promptly and cleanly on SIGTERM.</summary>
public sealed class HttpApiShutdownTests
{
    [Fact]
    public async Task Sigterm_WithAnOpenEventStream_EndsTheStreamAndStopsCleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var api = new HttpApiSilo();
        await api.InitializeAsync();
        await using var events = await api.OpenEventsAsync("/v1/events?history=false", ct);
        Assert.Equal(HttpStatusCode.OK, events.Response.StatusCode);

        var clock = Stopwatch.StartNew();
        await api.Silo.StopAsync(TimeSpan.FromSeconds(30));

        // Well inside the 30 s shutdown bound: the stream does not hold the HTTP API's stop open.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed} to stop:\n{api.Silo.Output}");
        Assert.True(api.Silo.ExitCode == 0, $"exit status {api.Silo.ExitCode}:\n{api.Silo.Output}");
        using var read = CancellationTokenSource.CreateLinkedTokenSource(ct);
        read.CancelAfter(TimeSpan.FromSeconds(10));
        Assert.Null(await events.NextAsync(read.Token));
    }
}

using Formation.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

/// <summary>The build instruments, recorded by real builds in the sandbox: a step's layer is a miss, then a hit; outcomes.</summary>
public sealed class BuildMetricsTests : IDisposable
{
    private readonly TestDirectory _data = new("pack-metrics");
    private readonly MeterRecorder _meters = new();

    public void Dispose()
    {
        _meters.Dispose();
        _data.Dispose();
    }

    [Fact]
    public async Task Builds_RecordDurationByOutcome_AndEachStepsLayerCacheResult()
    {
        TestEnvironment.RequireBuilder();
        var options = new PackOptions { DataDirectory = _data.Path };
        var builder = new ImageBuilder(options, new ImageStore(options), metrics: new BuildMetrics(_meters));
        var ct = TestContext.Current.CancellationToken;
        var formfile = $"NAME counted\nFROM tiny\nRUN echo {Guid.NewGuid():N} > /stamp\n";

        await builder.BuildAsync(new BuildRequest(formfile), null, ct);
        var firstLayers = _meters.Of("formation.build.layers").Select(m => m.Tag("formation.build.layer.cache")).ToList();
        await builder.BuildAsync(new BuildRequest(formfile), null, ct);
        await Assert.ThrowsAsync<ImageBuildException>(() => builder.BuildAsync(new BuildRequest("NAME broken\nFROM tiny\nRUN exit 3\n"), null, ct));

        Assert.Contains("miss", firstLayers);
        var secondLayers = _meters.Of("formation.build.layers").Skip(firstLayers.Count).Take(firstLayers.Count).Select(m => m.Tag("formation.build.layer.cache"));
        Assert.All(secondLayers, result => Assert.Equal("hit", result)); // the same Formfile again: every step from the cache
        var builds = _meters.Of("formation.build.duration");
        Assert.Equal(["succeeded", "succeeded", "failed"], builds.Select(b => b.Tag("formation.build.outcome")));
        Assert.All(builds, b => Assert.Equal("s", b.Unit));
        Assert.True(builds[0].Value > 0 && builds[1].Value > 0);
    }
}

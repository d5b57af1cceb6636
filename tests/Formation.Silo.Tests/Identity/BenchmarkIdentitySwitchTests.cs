using Formation.Identity;
using Formation.Silo.Hosting;
using Formation.Silo.Identity;
using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// The benchmark-only switch that starts a silo without identity: refused without its environment variable, refused in
/// cluster mode whatever the environment says, and a real silo process given the setting alone does not start.
/// </summary>
public sealed class BenchmarkIdentitySwitchTests : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    public void Resolve_SwitchWithoutTheVariable_IsAProblem_AndIdentityStaysOn()
    {
        Assert.NotEqual("1", Environment.GetEnvironmentVariable(BenchmarkIdentitySwitch.EnvironmentVariable));

        var config = SiloConfig.Resolve(new FormationOptions { DataDirectory = _data.Path, NodeId = "bench-switch", BenchmarkWithoutIdentity = true }, out var problems);

        Assert.Contains(problems, p => p.Contains($"it needs {BenchmarkIdentitySwitch.EnvironmentVariable}=1"));
        Assert.False(config.WithoutIdentity);
    }

    [Fact]
    public void Resolve_Defaults_KeepIdentityOn()
    {
        var config = SiloConfig.Resolve(new FormationOptions { DataDirectory = _data.Path, NodeId = "bench-switch" }, out var problems);

        Assert.Empty(problems);
        Assert.False(config.WithoutIdentity);
    }

    [Theory]
    [InlineData(false, FormationMode.Embedded, null, null)]
    [InlineData(true, FormationMode.Embedded, "1", null)]
    [InlineData(true, FormationMode.Embedded, null, "it needs")]
    [InlineData(true, FormationMode.Embedded, "true", "it needs")]
    [InlineData(true, FormationMode.Cluster, "1", "a cluster never runs without identity")]
    public void Problem_OnlyEmbeddedWithTheVariable_IsAllowed(bool requested, FormationMode mode, string? variable, string? expected)
    {
        var problem = BenchmarkIdentitySwitch.Problem(requested, mode, variable);

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(expected, problem);
        }
    }

    [Fact]
    [Trait("Category", "Slow")] // a few seconds: one silo process that refuses to start
    public async Task SiloProcess_SwitchWithoutTheVariable_RefusesToStart()
    {
        var options = new SiloProcessOptions("bench-refused", Path.Combine(_data.Path, "refused"))
        {
            Environment = { ["Formation__BenchmarkWithoutIdentity"] = "true", [BenchmarkIdentitySwitch.EnvironmentVariable] = "" },
        };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(options));

        Assert.Contains("exited with 1", refused.Message);
        Assert.Contains("Formation:BenchmarkWithoutIdentity turns mutual TLS and every caller check off", refused.Message);
    }

    [Fact]
    [Trait("Category", "Slow")] // about 10 s: one silo process
    public async Task SiloProcess_SwitchWithTheVariable_AdmitsAClientWithoutCredential_AndSaysSo()
    {
        var options = new SiloProcessOptions("bench-open", Path.Combine(_data.Path, "open"))
        {
            Environment = { ["Formation__BenchmarkWithoutIdentity"] = "true", [BenchmarkIdentitySwitch.EnvironmentVariable] = "1" },
        };

        await using var silo = await SiloProcess.StartAsync(options);
        await using var anonymous = await ClusterClient.ViaGatewayAsync(options.GatewayPort, anonymous: true, timeout: TimeSpan.FromSeconds(10));

        Assert.Equal(Caller.System, await anonymous.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster).WhoAmIAsync());
        Assert.Contains("benchmark switch Formation:BenchmarkWithoutIdentity is on", silo.Output);
    }

    public void Dispose() => _data.Dispose();
}

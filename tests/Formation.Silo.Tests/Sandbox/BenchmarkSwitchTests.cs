using Formation.Silo.Pack;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// The benchmark-only switch that builds without the sandbox's limits, network namespace and build disk: an image
/// builder refuses it unless the benchmark's environment variable is set, and the silo's registration refuses it always.
/// </summary>
public class BenchmarkSwitchTests
{
    [Fact]
    public void ImageBuilder_SwitchWithoutTheBenchmarkVariable_IsRefused()
    {
        Assert.NotEqual("1", Environment.GetEnvironmentVariable(PackOptions.BenchmarkEnvironmentVariable));
        using var data = new TestDirectory("bench-switch");
        var options = new PackOptions { DataDirectory = data.Path, BenchmarkWithoutSandbox = true };

        var ex = Assert.Throws<InvalidOperationException>(() => new ImageBuilder(options, new ImageStore(options)));

        Assert.Contains($"for benchmarks only; it needs {PackOptions.BenchmarkEnvironmentVariable}=1", ex.Message);
    }

    [Fact]
    public void SiloRegistration_Switch_IsRefused()
    {
        using var data = new TestDirectory("bench-switch");
        var services = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build()).AddFormationPack(o => (o.DataDirectory, o.BenchmarkWithoutSandbox) = (data.Path, true));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PackOptions>>().Value);

        Assert.Contains("the silo never builds without the sandbox", ex.Message);
    }
}

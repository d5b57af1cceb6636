using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Formation.Silo.Vms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// The benchmark-only switches that build without the sandbox's limits, network namespace and build disk, and that
/// launch VMs outside their jail: an image builder or driver refuses them unless the benchmark's environment variable
/// is set, and the silo's registration refuses them always.
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
    [Fact]
    public async Task Drivers_JailOffWithoutTheBenchmarkVariable_RefuseToLaunchAndTouchNothing()
    {
        Assert.NotEqual("1", Environment.GetEnvironmentVariable(VmJailOptions.BenchmarkEnvironmentVariable));
        using var data = new TestDirectory("bench-switch");
        var directory = VmDirectory.For(data.Path, "unjailed");
        var launch = new VmLaunch("unjailed", "unjailed", DriverNames.Qemu, 1, 128, "console=ttyS0", HasInitrd: true, HasDisk: false, null, [], Running: true);
        IHypervisorDriver[] drivers =
        [
            new QemuDriver(Options.Create(new QemuOptions { Jail = new VmJailOptions { Enabled = false } }), HostFacts.Probe(data.Path), NullLogger<QemuDriver>.Instance),
            new KvmDriver(Options.Create(new KvmOptions { Binary = "/bin/false", Jail = new VmJailOptions { Enabled = false } }), NullLogger<KvmDriver>.Instance),
        ];

        foreach (var driver in drivers)
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => driver.LaunchAsync(launch with { Driver = driver.Name }, directory, TestContext.Current.CancellationToken));

            Assert.Contains($"is for benchmarks only; it needs {VmJailOptions.BenchmarkEnvironmentVariable}=1", ex.Message);
            Assert.False(Directory.Exists(directory.Path), $"{driver.Name} made the VM directory before refusing");
        }
    }

    [Theory]
    [InlineData("Qemu")]
    [InlineData("Kvm")]
    public async Task Silo_JailOffEvenWithTheBenchmarkVariable_RefusesToStart(string driver)
    {
        using var data = new TestDirectory("bench-switch");
        var options = new SiloProcessOptions("unjailed", data.Path)
        {
            Environment = { [$"Formation__{driver}__Jail__Enabled"] = "false", [VmJailOptions.BenchmarkEnvironmentVariable] = "1" },
        };

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloProcess.StartAsync(options));

        Assert.Contains($"Formation:{driver}:Jail:Enabled=false is for benchmarks only; the silo never runs VMs outside their jail", refused.Message);
    }
}

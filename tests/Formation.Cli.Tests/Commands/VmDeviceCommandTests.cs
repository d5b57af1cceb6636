namespace Formation.Cli.Tests.Commands;

/// <summary>
/// <c>form vm disk|nic|resize</c>: arguments that are wrong are refused before any silo is asked (exit 1, the reason on
/// stderr). The commands against a real guest: <c>Devices/HotplugCliTests</c>.
/// </summary>
public sealed class VmDeviceCommandTests
{
    [Theory]
    [InlineData("10X", "--size: '10X' is not a size")]
    [InlineData("0G", "is empty")]
    [InlineData("100T", "larger than the 64 TiB")]
    public async Task DiskAdd_BadSize_ExitsOneWithoutASilo(string size, string expected)
    {
        var run = await FormRun.InProcessAsync(false, "vm", "disk", "add", "any-vm", "--size", size, "--gateway", "127.0.0.1:1");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains(expected, run.Error);
        Assert.DoesNotContain("silo", run.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Resize_BadMemory_ExitsOneWithoutASilo()
    {
        var run = await FormRun.InProcessAsync(false, "vm", "resize", "any-vm", "--memory", "lots", "--gateway", "127.0.0.1:1");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("--memory: 'lots' is not a size", run.Error);
    }

    [Fact]
    public async Task DiskAdd_NoSize_IsAUsageError()
    {
        var run = await FormRun.InProcessAsync(false, "vm", "disk", "add", "any-vm");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--size", run.Error);
    }
}

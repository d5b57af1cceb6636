using System.Text.Json;

namespace Formation.Cli.Tests;

/// <summary><c>form top</c>, <c>form vm top</c> and the usage in <c>form vm show</c> against a real silo process.</summary>
public sealed class TopCommandTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Top_Json_IsOneSnapshotOfEveryNodeWithItsLatestSample()
    {
        var run = await Eventually.HoldsAsync(() => silo.FormAsync("top", "--json"),
            r => r.ExitCode == 0 && JsonDocument.Parse(r.Out).RootElement[0].GetProperty("latest").ValueKind == JsonValueKind.Object, Wait, "a sample");

        var node = JsonDocument.Parse(run.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(silo.NodeId, node.GetProperty("nodeId").GetString());
        Assert.Equal("healthy", node.GetProperty("health").GetString());
        Assert.Equal(silo.Silo.Options.MetricsUrl, node.GetProperty("metricsUrl").GetString());
        var latest = node.GetProperty("latest");
        Assert.True(latest.GetProperty("cpuCount").GetInt32() >= 1);
        Assert.InRange(latest.GetProperty("cpuBusy").GetDouble(), 0, 1);
        Assert.True(latest.GetProperty("memoryTotalBytes").GetInt64() >= latest.GetProperty("memoryUsedBytes").GetInt64());
    }

    [Fact]
    public async Task Top_TwoIterations_PrintsTwoFramesAndEnds()
    {
        var run = await silo.FormAsync("top", "-n", "2", "--interval", "0.2");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, CountOf(run.Out, "NODE "));
        Assert.Equal(2, CountOf(run.Out, silo.NodeId));
        Assert.Contains("MEMORY USED", run.Out);
    }

    [Theory]
    [InlineData("--interval", "0", "--interval 0 is out of range")]
    [InlineData("--iterations", "-1", "--iterations -1 is negative")]
    public async Task Top_BadOption_FailsSayingWhichAndWhatToGive(string option, string value, string expected)
    {
        var run = await silo.FormAsync("top", option, value);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, run.Error);
    }

    [Fact]
    public async Task VmTop_AndVmShow_ShowTheVmsUsage()
    {
        var create = await silo.FormAsync("vm", "create", "--name", "cli-top", "--vcpus", "2", "--memory", "256", "--disk", "1", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = JsonDocument.Parse(create.Out).RootElement.GetProperty("id").GetString()!;

        var one = await Eventually.HoldsAsync(() => silo.FormAsync("vm", "top", "cli-top", "--json"),
            r => r.ExitCode == 0 && JsonDocument.Parse(r.Out).RootElement[0] is var vm
                && vm.GetProperty("latest").ValueKind == JsonValueKind.Object && vm.GetProperty("state").GetString() == "running",
            Wait, "a sample of the VM taken once it runs (the node samples every second here, so the first may predate Running)");
        var row = JsonDocument.Parse(one.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(id, row.GetProperty("vmId").GetString());
        Assert.Equal(2, row.GetProperty("vCpus").GetInt32());
        Assert.Equal("running", row.GetProperty("state").GetString());

        var table = await silo.FormAsync("vm", "top", "-n", "1");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("cli-top", table.Out);
        Assert.Contains("NET RX/TX", table.Out);

        foreach (var localApi in new[] { true, false })
        {
            var show = await FormRun.InProcessAsync(localApi, "vm", "show", "cli-top", "--json", "--gateway", silo.Silo.Gateway);
            Assert.True(show.ExitCode == 0, show.ToString());
            var usage = JsonDocument.Parse(show.Out).RootElement.GetProperty("usage");
            Assert.InRange(usage.GetProperty("cpuUtilization").GetDouble(), 0, 4);
            Assert.True(usage.GetProperty("memoryBytes").GetInt64() >= 0);
        }

        var shown = await silo.FormAsync("vm", "show", "cli-top");
        Assert.Contains("of 2 vCPU", shown.Out);
        Assert.Contains("Memory used", shown.Out);

        Assert.Equal(0, (await silo.FormAsync("vm", "delete", "cli-top")).ExitCode);
    }

    [Fact]
    public async Task VmTop_UnknownVm_FailsSayingSo()
    {
        var run = await silo.FormAsync("vm", "top", "no-such-vm", "-n", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no-such-vm", run.Error);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

using System.Text.Json;

namespace Formation.Cli.Tests;

/// <summary>The form CLI against a real silo process: every command, tables and JSON, errors and exit codes.</summary>
public sealed class CliEndToEndTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task NodeList_ShowsTheRunningNodeHealthyWithItsDriver()
    {
        var run = await silo.FormAsync("node", "list");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(silo.NodeId, run.Out);
        Assert.Contains("Healthy", run.Out);
        Assert.Contains("sim", run.Out);
    }

    [Fact]
    public async Task NodeList_Json_HasCapacityAndHealth()
    {
        var run = await silo.FormAsync("node", "list", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var node = JsonDocument.Parse(run.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(silo.NodeId, node.GetProperty("info").GetProperty("nodeId").GetString());
        Assert.Equal("healthy", node.GetProperty("health").GetString());
        Assert.True(node.GetProperty("info").GetProperty("allocatable").GetProperty("vCpus").GetInt32() > 0);
    }

    [Fact]
    public async Task Vm_CreateListShowAndEveryLifecycleCommand_Work()
    {
        var create = await silo.FormAsync("vm", "create", "--name", "cli-life", "--vcpus", "1", "--memory", "256", "--disk", "2", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        var vm = JsonDocument.Parse(create.Out).RootElement;
        var id = vm.GetProperty("id").GetString()!;
        Assert.Equal("running", vm.GetProperty("state").GetString());
        Assert.Equal(silo.NodeId, vm.GetProperty("nodeId").GetString());

        var list = await silo.FormAsync("vm", "list");
        Assert.Contains(id, list.Out);
        Assert.Contains("cli-life", list.Out);

        foreach (var (verb, state) in new[] { ("pause", "Paused"), ("resume", "Running"), ("stop", "Stopped"), ("start", "Running") })
        {
            var run = await silo.FormAsync("vm", verb, "cli-life");
            Assert.True(run.ExitCode == 0, $"{verb}: {run}");
            Assert.Contains(state, run.Out);
        }

        var show = await silo.FormAsync("vm", "show", id, "--json");
        var shown = JsonDocument.Parse(show.Out).RootElement;
        Assert.Equal("running", shown.GetProperty("vm").GetProperty("state").GetString());
        Assert.True(shown.GetProperty("events").GetArrayLength() >= 9);

        var events = await silo.FormAsync("vm", "events", "cli-life");
        Assert.Contains("Running -> Paused", events.Out);
        Assert.Contains("Stopping -> Stopped", events.Out);

        var delete = await silo.FormAsync("vm", "delete", "cli-life");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        var gone = await silo.FormAsync("vm", "show", "cli-life");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("No VM with id or name 'cli-life'", gone.Error);
    }

    [Fact]
    public async Task VmPause_OnStoppedVm_ExitsOneSayingWhy()
    {
        await silo.FormAsync("vm", "create", "--name", "cli-illegal", "--vcpus", "1", "--memory", "256");
        await silo.FormAsync("vm", "stop", "cli-illegal");

        var run = await silo.FormAsync("vm", "pause", "cli-illegal");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("it is Stopped; pause needs Running", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Theory]
    [InlineData("--vcpus", "0", "--vcpus must be between 1 and 128")]
    [InlineData("--memory", "12", "--memory must be between")]
    [InlineData("--name", "Not_A_Label", "is not valid")]
    [InlineData("--node", "no-such-node", "no node 'no-such-node' is registered")]
    public async Task VmCreate_BadArgument_ExitsNonZero_AndCreatesNothing(string option, string value, string expected)
    {
        var args = new Dictionary<string, string> { ["--name"] = "cli-bad", ["--vcpus"] = "1", ["--memory"] = "256" };
        args[option] = value;
        var before = await silo.FormAsync("vm", "list", "--json");

        var run = await silo.FormAsync(["vm", "create", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expected, run.Error);
        var after = await silo.FormAsync("vm", "list", "--json");
        Assert.Equal(
            JsonDocument.Parse(before.Out).RootElement.EnumerateArray().Select(v => v.GetProperty("id").GetString()).Order(),
            JsonDocument.Parse(after.Out).RootElement.EnumerateArray().Select(v => v.GetProperty("id").GetString()).Order());
    }

    [Fact]
    public async Task VmCreate_MissingRequiredOption_ExitsNonZeroNamingIt()
    {
        var run = await silo.FormAsync("vm", "create", "--name", "x", "--vcpus", "1");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--memory", run.Error);
    }

    [Fact]
    public async Task VmEvents_Follow_PrintsLiveTransitionsUntilCancelled()
    {
        await silo.FormAsync("vm", "create", "--name", "cli-follow", "--vcpus", "1", "--memory", "256");
        var stdout = new StringWriter();
        using var cts = new CancellationTokenSource();
        var app = new FormApp(new Output.Terminal(TextWriter.Synchronized(stdout), new StringWriter())) { ConnectTimeout = TimeSpan.FromSeconds(30) };
        var follow = app.InvokeAsync(["vm", "events", "cli-follow", "--follow", "--gateway", silo.Silo.Gateway,
            "--credential", SiloProcess.AdminCredentialFor(silo.Silo.Options.GatewayPort)!], cts.Token);

        // `events --follow` subscribes before it reads the history: once the history is printed, a change is seen live.
        await Eventually.TrueAsync(() => stdout.ToString().Contains("Provisioning -> Running"), Wait, "history printed");
        var stop = await silo.FormAsync("vm", "stop", "cli-follow");
        Assert.Equal(0, stop.ExitCode);
        await Eventually.TrueAsync(() => stdout.ToString().Contains("Stopping -> Stopped"), Wait, "live Stopped event");

        await cts.CancelAsync();
        Assert.Equal(0, await follow.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ClusterStatus_Json_CountsNodesAndVms()
    {
        await silo.FormAsync("vm", "create", "--name", "cli-status", "--vcpus", "1", "--memory", "256");

        var run = await silo.FormAsync("cluster", "status", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var status = JsonDocument.Parse(run.Out).RootElement;
        Assert.Equal(1, status.GetProperty("nodesHealthy").GetInt32());
        Assert.True(status.GetProperty("vms").GetInt32() >= 1);
        Assert.Equal(silo.NodeId, status.GetProperty("silos")[0].GetProperty("name").GetString());
    }
}

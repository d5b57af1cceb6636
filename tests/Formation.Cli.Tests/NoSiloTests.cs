using System.Diagnostics;

namespace Formation.Cli.Tests;

/// <summary>The real form executable with nothing to talk to, and with bad arguments.</summary>
public sealed class NoSiloTests
{
    [Fact]
    public async Task AnyCommand_NoSiloListening_ExitsTwoWithinSecondsSayingHowToStartOne()
    {
        var port = FreePorts.Next();
        var clock = Stopwatch.StartNew();

        var run = await FormRun.ProcessAsync("vm", "list", "--gateway", $"127.0.0.1:{port}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"no Formation silo answered at 127.0.0.1:{port} within 5 s", run.Error);
        Assert.Contains("scripts/run", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("vm", "frobnicate")]
    [InlineData("vm", "create", "--name", "x", "--vcpus", "two", "--memory", "256")]
    [InlineData("nonsense")]
    public async Task BadArguments_ExitNonZeroWithoutConnecting(params string[] args)
    {
        var run = await FormRun.ProcessAsync([.. args, "--gateway", $"127.0.0.1:{FreePorts.Next()}"]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.NotEqual(2, run.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(run.Error), run.ToString());
    }

    [Fact]
    public async Task BadGateway_ExitsOneSayingTheFormat()
    {
        var run = await FormRun.ProcessAsync("vm", "list", "--gateway", "no-port-here");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("must be HOST:PORT", run.Error);
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("8080:80/sctp")]
    [InlineData("70000:80")]
    public async Task BadPublish_IsRefusedBeforeConnecting_NamingTheAcceptedForm(string publish)
    {
        var run = await FormRun.ProcessAsync("vm", "create", "--name", "x", "--vcpus", "1", "--memory", "256", "--publish", "8080:80",
            "--publish", publish, "--gateway", $"127.0.0.1:{FreePorts.Next()}");

        Assert.NotEqual(0, run.ExitCode);
        Assert.NotEqual(2, run.ExitCode);
        Assert.Contains("HOSTPORT:GUESTPORT[/tcp|/udp]", run.Error);
        Assert.Contains($"'{publish}'", run.Error);
    }
}

namespace Formation.Cli.Tests.Commands;

/// <summary>
/// <c>form vm exec</c>'s arguments and errors against a real silo (sim driver, whose VMs have no guest agent). Exec in a
/// real guest, with the CLI's streams and exit codes: <c>Formation.Silo.Tests/Deploy/QemuExecTests</c>.
/// </summary>
public sealed class VmExecCommandTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>
{
    [Fact]
    public async Task Exec_VmWithoutAGuestAgent_ExitsOneSayingWhy()
    {
        var create = await silo.FormAsync("vm", "create", "--name", "exec-sim", "--vcpus", "1", "--memory", "64", "--disk", "1");
        Assert.True(create.ExitCode == 0, create.ToString());

        var run = await ExecAsync("exec-sim", "--", "ls", "-l");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("'sim' driver, which has no guest agent", run.Error);
    }

    [Fact]
    public async Task Exec_UnknownVm_ExitsOneNamingIt()
    {
        var run = await ExecAsync("no-such-vm", "--", "true");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("no-such-vm", run.Error);
    }

    [Fact]
    public async Task Exec_NoCommand_ExitsNonZeroSayingItIsMissing()
    {
        var run = await ExecAsync("exec-sim");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("command", run.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("--timeout", "0", "--timeout 0 is not a number of seconds")]
    [InlineData("--env", "=x", "'=x' is not NAME=value")]
    public async Task Exec_BadOption_ExitsNonZeroSayingWhatIsWrong(string option, string value, string expected)
    {
        await silo.FormAsync("vm", "create", "--name", "exec-opt", "--vcpus", "1", "--memory", "64", "--disk", "1");

        var run = await ExecAsync("exec-opt", option, value, "--", "true");

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains(expected, run.Error);
    }

    /// <summary>form vm exec with the gateway before <c>--</c> (everything after it is the guest's command).</summary>
    private Task<FormRun> ExecAsync(params string[] args)
    {
        var dash = Array.IndexOf(args, "--");
        string[] head = dash < 0 ? args : args[..dash];
        string[] tail = dash < 0 ? [] : args[dash..];
        return FormRun.InProcessAsync(false, ["vm", "exec", "--gateway", silo.Silo.Gateway, .. head, .. tail]);
    }
}

using Formation.Images;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Finding 5: each build step runs in its own cgroup; a fork bomb or a memory hog stops at the step's limit, the
/// step fails with a message naming the limit, and no process or cgroup of the step outlives it on the host.
/// </summary>
public class StepLimitTests
{
    [Fact]
    public async Task Run_ForkBomb_StopsAtPidsMaxAndSaysSo()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.StepPidsMax = 64);

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            build.BuildAsync("NAME bomb\nFROM tiny\nRUN while :; do sleep 1000 & done\n"));

        Assert.Equal(2, ex.Failure.Step);
        Assert.Contains("pids.max (64 processes)", ex.Failure.Message);
        Assert.Empty(build.LeftoverCgroups());
        Assert.Empty(await SandboxedBuild.RunAsync("pgrep", "-f", "^sleep 1000$"));
    }

    [Fact]
    public async Task Run_MemoryHog_IsKilledAtMemoryMaxAndSaysSo()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.StepMemoryMaxBytes = 64L << 20);

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            build.BuildAsync("NAME hog\nFROM tiny\nRUN x=$(head -c 300000000 /dev/zero | tr '\\0' a); echo ${#x}\n"));

        Assert.Equal(2, ex.Failure.Step);
        Assert.Contains("memory.max (64 MiB)", ex.Failure.Message);
        Assert.Empty(build.LeftoverCgroups());
    }

    [Fact]
    public async Task Run_WithinTheLimits_Succeeds()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => (o.StepPidsMax, o.StepMemoryMaxBytes) = (64, 64L << 20));

        var manifest = await build.BuildAsync("NAME fits\nFROM tiny\nRUN for i in 1 2 3 4 5 6 7 8; do sleep 0 & done; wait; x=$(head -c 1000000 /dev/zero | tr '\\0' a)\n");

        Assert.Equal("fits", manifest.Name);
    }
}

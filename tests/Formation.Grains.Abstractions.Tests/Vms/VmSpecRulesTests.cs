using Formation.Errors;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Vms;

public sealed class VmSpecRulesTests
{
    [Fact]
    public void Check_EveryFieldWrong_NamesEachFieldForTheCliAndTheForm()
    {
        var problems = VmSpecRules.Check(new VmSpec("Web_1", 0, 12, -1, "a b", "Node!"));

        Assert.Equal([VmSpecField.Name, VmSpecField.VCpus, VmSpecField.Memory, VmSpecField.Disk, VmSpecField.Node, VmSpecField.Image],
            problems.Select(p => p.Field));
        var vcpus = problems[1];
        Assert.Equal("--vcpus must be between 1 and 128 (got 0).", vcpus.ForCli);
        Assert.Equal("vCPUs must be between 1 and 128 (got 0).", vcpus.ForForm);
        Assert.StartsWith("VM name 'Web_1' is not valid", problems[0].ForForm);
        Assert.Equal(problems[0].ForCli, problems[0].ForForm);
        Assert.Equal("vCpus must be between 1 and 128 (got 0).", vcpus.ForApi);
        Assert.Equal(problems[0].ForCli, problems[0].ForApi);
    }

    [Fact]
    public void ForApi_NamesTheJsonFieldsAndTheIdempotencyHeader_NeverACliFlag()
    {
        var problems = VmSpecRules.Check(new VmSpec("web-1", 1, 12, 10, null, null, RequestId: "has space",
            Publish: [new PortPublish(8080, 80, PublishProtocol.Tcp), new PortPublish(8080, 81, PublishProtocol.Tcp)]));

        Assert.Equal(["memoryMiB must be between 64 and 1048576 MiB (got 12).", "publish: host port 8080/tcp is given twice; each host port maps to one guest port.",
            "Idempotency-Key must be 1–64 letters, digits, '-', '_' or '.' (got 'has space')."], problems.Select(p => p.ForApi));
        Assert.DoesNotContain(problems, p => p.ForApi.Contains("--", StringComparison.Ordinal));
        var parse = Assert.Throws<FormationException>(() => VmSpecRules.ParsePublishForApi(["8080:80/sctp"]));
        Assert.StartsWith("publish '8080:80/sctp' is not a port mapping", parse.Message, StringComparison.Ordinal);
        Assert.Null(VmSpecRules.ParsePublishForApi([]));
    }

    [Fact]
    public void Validate_ThrowsTheFirstProblemInTheCliWords()
    {
        var ex = Assert.Throws<FormationException>(() => VmSpecRules.Validate(new VmSpec("web-1", 1, 12, 10, null, null)));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal("--memory must be between 64 and 1048576 MiB (got 12).", ex.Message);
    }

    [Fact]
    public void Check_ValidSpec_HasNoProblem() => Assert.Empty(VmSpecRules.Check(new VmSpec("web-1", 2, 512, 10, "hello:latest", "edge-1")));

    [Theory]
    [InlineData(VmAction.Start, VmState.Stopped, true)]
    [InlineData(VmAction.Start, VmState.Running, false)]
    [InlineData(VmAction.Pause, VmState.Running, true)]
    [InlineData(VmAction.Resume, VmState.Running, false)]
    [InlineData(VmAction.Delete, VmState.Deleted, false)]
    [InlineData(VmAction.Delete, VmState.Lost, true)]
    public void VmActions_IsOffered_FollowsTheGrainsRules(VmAction action, VmState state, bool offered)
    {
        Assert.Equal(offered, VmActions.IsOffered(action, state));
        if (offered && action != VmAction.Delete)
        {
            Assert.True(VmTransitions.Next(state).Count > 0);
        }
    }

    [Fact]
    public void VmActions_Destructive_AreStopRebootDelete() =>
        Assert.Equal([VmAction.Stop, VmAction.Reboot, VmAction.Delete], VmActions.All.Where(VmActions.IsDestructive));
}

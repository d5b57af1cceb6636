using Formation.Vms;

namespace Formation.Grains.Tests.Vms;

public sealed class VmTransitionsTests
{
    [Theory]
    [InlineData(VmState.Pending, VmState.Scheduled)]
    [InlineData(VmState.Scheduled, VmState.Provisioning)]
    [InlineData(VmState.Provisioning, VmState.Running)]
    [InlineData(VmState.Running, VmState.Paused)]
    [InlineData(VmState.Paused, VmState.Running)]
    [InlineData(VmState.Running, VmState.Stopping)]
    [InlineData(VmState.Paused, VmState.Stopping)]
    [InlineData(VmState.Stopping, VmState.Stopped)]
    [InlineData(VmState.Stopped, VmState.Provisioning)]
    [InlineData(VmState.Deleting, VmState.Deleted)]
    [InlineData(VmState.Running, VmState.Lost)]
    [InlineData(VmState.Lost, VmState.Running)]
    public void IsAllowed_DocumentedTransition_True(VmState from, VmState to) => Assert.True(VmTransitions.IsAllowed(from, to));

    [Theory]
    [InlineData(VmState.Stopped, VmState.Paused)]
    [InlineData(VmState.Stopped, VmState.Running)]
    [InlineData(VmState.Pending, VmState.Running)]
    [InlineData(VmState.Deleted, VmState.Provisioning)]
    [InlineData(VmState.Deleted, VmState.Deleting)]
    [InlineData(VmState.Paused, VmState.Paused)]
    [InlineData(VmState.Deleting, VmState.Running)]
    public void IsAllowed_IllegalTransition_False(VmState from, VmState to) => Assert.False(VmTransitions.IsAllowed(from, to));

    [Fact]
    public void IsAllowed_EveryStateButDeleted_CanBeDeleted()
    {
        foreach (var state in Enum.GetValues<VmState>().Where(s => s is not (VmState.Deleted or VmState.Deleting)))
        {
            Assert.True(VmTransitions.IsAllowed(state, VmState.Deleting), $"{state} -> Deleting");
        }

        Assert.Empty(VmTransitions.Next(VmState.Deleted));
    }
}

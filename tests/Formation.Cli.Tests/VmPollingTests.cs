using System.Diagnostics;
using Formation.Cli.Commands;
using Formation.Vms;

namespace Formation.Cli.Tests;

/// <summary>Waiting for a state: a call answered at once without the state (a silo that does not wait) is followed by a pause.</summary>
public sealed class VmPollingTests
{
    private static readonly VmInfo Provisioning = new("vm-1", "node-a", new VmSpec("web-1", 1, 64, 0, null, null), VmState.Provisioning,
        null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, "sim", []);

    [Fact]
    public async Task AnAnswerWithoutTheStateThatCameAtOnce_IsFollowedByAPause_NotASpin()
    {
        // An older silo ignores the wait and answers at once: two answers without the state, then Running.
        var calls = 0;
        var clock = Stopwatch.StartNew();

        var info = await VmPolling.PollAsync(
            () => Task.FromResult(++calls < 3 ? Provisioning : Provisioning with { State = VmState.Running }), VmState.Running, CancellationToken.None);

        Assert.Equal((VmState.Running, 3), (info.State, calls));
        Assert.InRange(clock.ElapsedMilliseconds, 190, 5000);
    }
}

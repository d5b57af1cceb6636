using Formation.Silo.Metrics;
using Formation.Silo.Vms;
using Formation.Vms;

namespace Formation.Silo.Tests.Metrics;

/// <summary>VM counters only grow: across a process restart, a counter reset and a TAP made again.</summary>
public sealed class MonotonicCounterTests
{
    [Fact]
    public void Observe_SameProcess_AddsTheDifference()
    {
        var counter = new MonotonicCounter();

        Assert.Equal(10, counter.Observe(10, "1@100"));
        Assert.Equal(15, counter.Observe(15, "1@100"));
    }

    [Fact]
    public void Observe_NewProcessStartingLow_AddsAllItCountedAndNeverGoesDown()
    {
        var counter = new MonotonicCounter();
        counter.Observe(100, "1@100");

        Assert.Equal(103, counter.Observe(3, "2@900"));
        Assert.Equal(110, counter.Observe(10, "2@900"));
    }

    [Fact]
    public void Observe_SameGenerationButLower_IsAResetNotANegativeRate()
    {
        var counter = new MonotonicCounter();
        counter.Observe(50, "tap");

        Assert.Equal(55, counter.Observe(5, "tap"));
    }

    [Fact]
    public void VmTrack_ProcessRestarts_CpuSecondsKeepGrowingAndUtilizationIsNeverNegative()
    {
        var entry = new VmCensusEntry("vm-1", "web", VmState.Running, 10, "ft1", 2, 256, 1);
        var track = new VmTrack(entry, historyPoints: 10);
        var t0 = DateTimeOffset.UnixEpoch;

        track.Add(t0, entry, Reading("10@1", 40, tapReceive: 1000));
        track.Add(t0.AddSeconds(10), entry, Reading("10@1", 50, tapReceive: 3000));
        track.Add(t0.AddSeconds(20), entry with { Pid = 11 }, Reading("11@2", 2, tapReceive: 500)); // restarted: new process, TAP made again

        var points = track.History("node-1", 0).Points;
        Assert.Equal([40, 50, 52], points.Select(p => p.CpuSeconds));
        Assert.Equal(0.5, points[1].CpuUtilization, 6); // 10 s of CPU in 10 s over 2 vCPUs
        Assert.All(points, p => Assert.True(p.CpuUtilization >= 0 && p.NetworkTransmitBytesPerSecond >= 0));
        Assert.Equal(200, points[1].NetworkTransmitBytesPerSecond); // the TAP's receive side is what the guest sent
        Assert.Equal(3500, track.Snapshot.NetworkTransmitBytes);
    }

    [Fact]
    public void Ring_KeepsTheNewestInOrder()
    {
        var ring = new Ring<int>(3);
        foreach (var i in Enumerable.Range(1, 5))
        {
            ring.Add(i);
        }

        Assert.Equal([3, 4, 5], ring.Last(0));
        Assert.Equal([4, 5], ring.Last(2));
        Assert.Equal([3, 4, 5], ring.Last(10));
    }

    private static VmReading Reading(string generation, double cpuSeconds, long tapReceive) =>
        new(generation, new CgroupCpu(cpuSeconds, cpuSeconds, 0), 1 << 20, new DiskCounters(0, 0, 0, 0),
            new InterfaceCounters("ft1", tapReceive, 1, 0, 0, 0, 0, 0, 0));
}

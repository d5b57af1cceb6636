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
    public void VmTrack_DiskOperations_KeepGrowingAcrossARestartAndAChangeOfSource_BootsComeFromTheCensus()
    {
        var entry = new VmCensusEntry("vm-1", "web", VmState.Running, 10, null, 1, 256, 1, Boots: 1, Restarts: 0, ReadyTime: TimeSpan.FromSeconds(2));
        var track = new VmTrack(entry, historyPoints: 10);
        var t0 = DateTimeOffset.UnixEpoch;

        track.Add(t0, entry, Io("10@1", reads: 100, writes: 10, "process"));
        track.Add(t0.AddSeconds(10), entry, Io("10@1", reads: 150, writes: 30, "process"));
        Assert.Equal((150, 30, "process"), (track.Snapshot.DiskReadOps, track.Snapshot.DiskWriteOps, track.Snapshot.IoSource));

        var restarted = entry with { Pid = 11, Boots = 2, Restarts = 1, ReadyTime = TimeSpan.FromSeconds(3) };
        track.Add(t0.AddSeconds(20), restarted, Io("11@2", reads: 5, writes: 1, "cgroup")); // a new process, now in a cgroup of its own

        Assert.Equal((155, 31, "cgroup"), (track.Snapshot.DiskReadOps, track.Snapshot.DiskWriteOps, track.Snapshot.IoSource));
        Assert.Equal((2, 1, TimeSpan.FromSeconds(3)), (track.Snapshot.Boots, track.Snapshot.Restarts, track.Snapshot.ReadyTime));
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

    private static VmReading Io(string generation, long reads, long writes, string source) =>
        new(generation, new CgroupCpu(1, 1, 0), 1 << 20, new DiskCounters(reads * 4096, writes * 4096, reads, writes), null, source);

    private static VmReading Reading(string generation, double cpuSeconds, long tapReceive) =>
        new(generation, new CgroupCpu(cpuSeconds, cpuSeconds, 0), 1 << 20, new DiskCounters(0, 0, 0, 0),
            new InterfaceCounters("ft1", tapReceive, 1, 0, 0, 0, 0, 0, 0));
}

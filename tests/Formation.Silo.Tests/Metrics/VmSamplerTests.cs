using System.Diagnostics;
using Formation.Silo.Metrics;
using Formation.Silo.Vms;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Metrics;

/// <summary>
/// The sampler against real processes standing in for VM processes: a CPU loop shows high utilization of its one vCPU,
/// a sleeping one near none. Such processes are in no cgroup of their own, so this also takes the /proc/PID/stat path
/// and its one warning.
/// </summary>
public sealed class VmSamplerTests
{
    [Fact]
    public async Task Read_BusyAndIdleProcess_UtilizationHighAndNearZero()
    {
        // nice -10: the test machine is shared; the loop must get a fair part of a CPU to show what it asks for.
        using var busy = Start("nice", "-n", "-10", "sh", "-c", "while :; do :; done");
        using var idle = Start("sleep", "60");
        try
        {
            var warnings = new MetricsWarnings(NullLogger<MetricsWarnings>.Instance);
            var sampler = new VmSampler(warnings);
            var busyVm = new VmCensusEntry("vm-busy", "busy", VmState.Running, busy.Id, null, 1, 64, 1);
            var idleVm = new VmCensusEntry("vm-idle", "idle", VmState.Running, idle.Id, null, 1, 64, 1);
            var busyTrack = new VmTrack(busyVm, 10);
            var idleTrack = new VmTrack(idleVm, 10);
            var none = new Dictionary<string, InterfaceCounters>();

            var t0 = DateTimeOffset.UtcNow;
            busyTrack.Add(t0, busyVm, sampler.Read(busyVm, none));
            idleTrack.Add(t0, idleVm, sampler.Read(idleVm, none));
            await Task.Delay(3000);
            var t1 = DateTimeOffset.UtcNow;
            busyTrack.Add(t1, busyVm, sampler.Read(busyVm, none));
            idleTrack.Add(t1, idleVm, sampler.Read(idleVm, none));

            var hot = busyTrack.Snapshot;
            var cold = idleTrack.Snapshot;
            Assert.True(hot.CpuUtilization > 0.25, $"busy loop at {hot.CpuUtilization:P0} of its vCPU");
            Assert.True(cold.CpuUtilization < 0.05, $"sleeping process at {cold.CpuUtilization:P0} of its vCPU");
            Assert.True(hot.MemoryBytes > 0 && cold.MemoryBytes > 0);
            Assert.True(hot.HasProcess);
            Assert.True(warnings.Said("vm-cgroup-cpu"));
        }
        finally
        {
            busy.Kill();
            idle.Kill();
        }
    }

    [Fact]
    public async Task Read_ProcessInNoCgroupOfItsOwn_DiskOperationsComeFromItsProcIo_AndSaySo()
    {
        // A process that reads and writes: its read and write system calls are what /proc/PID/io counts as operations.
        using var worker = Start("sh", "-c", "i=0; while [ $i -lt 200 ]; do echo x > /dev/null; read l < /proc/self/stat; i=$((i+1)); done; sleep 60");
        try
        {
            var warnings = new MetricsWarnings(NullLogger<MetricsWarnings>.Instance);
            var sampler = new VmSampler(warnings);
            var vm = new VmCensusEntry("vm-io", "io", VmState.Running, worker.Id, null, 1, 64, 1);

            var reading = await Eventually.HoldsAsync(() => Task.FromResult(sampler.Read(vm, new Dictionary<string, InterfaceCounters>())),
                r => r?.Io is { WriteOps: >= 200 }, TimeSpan.FromSeconds(20), "the worker's 200 writes");

            Assert.Equal("process", reading!.IoSource);
            Assert.True(reading.Io!.Value.ReadOps > 0);
            Assert.True(warnings.Said("vm-io-process"));
        }
        finally
        {
            worker.Kill();
        }
    }

    [Fact]
    public void Read_ProcessThatIsGone_ReadsNothingInsteadOfFailing()
    {
        var sampler = new VmSampler(new MetricsWarnings(NullLogger<MetricsWarnings>.Instance));
        var gone = new VmCensusEntry("vm-gone", "gone", VmState.Running, int.MaxValue - 1, null, 1, 64, 1);

        Assert.Null(sampler.Read(gone, new Dictionary<string, InterfaceCounters>()));
    }

    private static Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info)!;
    }
}

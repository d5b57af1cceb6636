using System.Globalization;
using Formation.Silo.Vms;

namespace Formation.Silo.Metrics;

/// <summary>
/// Reads one VM: CPU from its own cgroup (v2 <c>cpu.stat</c> or v1 <c>cpuacct</c>) where it has one, else from its
/// process (<c>/proc/PID/stat</c>, every thread); resident memory; block I/O from its cgroup (v1 <c>blkio</c>, v2
/// <c>io.stat</c>) where it has one, else of its process (<c>/proc/PID/io</c>); and the counters of its TAP. What a host lacks is said once and left out.
/// </summary>
public sealed class VmSampler(MetricsWarnings warnings, CgroupReader? cgroups = null, string proc = "/proc")
{
    private readonly CgroupReader _cgroups = cgroups ?? new CgroupReader();

    public VmReading? Read(VmCensusEntry vm, IReadOnlyDictionary<string, InterfaceCounters> interfaces)
    {
        var tap = vm.Tap is { } name && interfaces.TryGetValue(name, out var counters) ? counters : null;
        if (vm.Pid is not { } pid || Text($"{proc}/{pid}/stat") is not { } statText)
        {
            return tap is null ? null : new VmReading("no-process", null, 0, null, tap);
        }

        var stat = ProcParsers.ParseProcessStat(statText, Environment.SystemPageSize);
        var generation = $"{pid}@{stat.StartTicks.ToString(CultureInfo.InvariantCulture)}";
        CgroupCpu? cpu = null;
        DiskCounters? io = null;
        if (Text($"{proc}/{pid}/cgroup") is { } membershipText)
        {
            var membership = CgroupReader.ParseMembership(membershipText);
            cpu = _cgroups.ReadCpu(membership, vm.VmId, out var missing);
            if (cpu is null)
            {
                warnings.Once("vm-cgroup-cpu", $"VM CPU time comes from /proc/PID/stat, not the VM's cgroup: {missing} (first seen for VM {vm.VmId})");
            }

            io = _cgroups.ReadIo(membership, vm.VmId);
        }

        generation += cpu is null ? "/proc" : "/cgroup";
        cpu ??= new CgroupCpu(stat.CpuSeconds, stat.UserSeconds, stat.SystemSeconds);
        if (io is not null)
        {
            return new VmReading(generation, cpu, stat.ResidentBytes, io, tap, "cgroup");
        }

        warnings.Once("vm-io-process", "VM disk I/O comes from /proc/PID/io, not the VM's cgroup (it has no blkio or io.stat of its own): " +
            "bytes are block-layer bytes, operations are read and write system calls of the VMM");
        if (Text($"{proc}/{pid}/io") is { } ioText)
        {
            io = ProcParsers.ParseProcessIo(ioText);
        }
        else
        {
            warnings.Once("vm-io", $"{proc}/PID/io cannot be read (kernel without task I/O accounting, or no permission): no VM disk I/O metrics");
        }

        return new VmReading(generation, cpu, stat.ResidentBytes, io, tap, "process");
    }

    private static string? Text(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the process ended between the census and this read, or the file is not there
        }
    }
}

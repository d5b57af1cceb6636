using System.Diagnostics;
using Formation.Silo.Metrics;
using Formation.Silo.Vms;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Bench.Metrics;

/// <summary>
/// What one sample costs with real VM processes: <c>count</c> sleeping processes stand in for VM processes (each read
/// through /proc/PID/stat, cgroup, io, like a qemu), sampled <c>rounds</c> times in this process.
/// </summary>
public static class SamplerLoop
{
    public static (double CpuMsPerSample, double WallMsPerSample) Run(string dataDirectory, int count, int rounds)
    {
        var processes = Enumerable.Range(0, count).Select(_ => Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!).ToList();
        try
        {
            var warnings = new MetricsWarnings(NullLogger<MetricsWarnings>.Instance);
            var node = new NodeSampler(dataDirectory, warnings);
            var vms = new VmSampler(warnings);
            var census = processes.Select((p, i) => new VmCensusEntry($"vm-bench{i}", $"bench-{i}", VmState.Running, p.Id, "lo", 1, 256, 1)).ToList();
            var tracks = census.ToDictionary(c => c.VmId, c => new VmTrack(c, 360));
            void Once()
            {
                var at = DateTimeOffset.UtcNow;
                var sample = node.Sample(at, File.ReadAllText("/proc/net/dev"));
                var interfaces = sample.Interfaces.ToDictionary(i => i.Name, StringComparer.Ordinal);
                foreach (var vm in census)
                {
                    tracks[vm.VmId].Add(at, vm, vms.Read(vm, interfaces));
                }
            }

            Once(); // JIT
            var cpu = ProcessCpu.Seconds(Environment.ProcessId);
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < rounds; i++)
            {
                Once();
            }

            return ((ProcessCpu.Seconds(Environment.ProcessId) - cpu) * 1000 / rounds, wall.Elapsed.TotalMilliseconds / rounds);
        }
        finally
        {
            foreach (var p in processes)
            {
                p.Kill();
                p.Dispose();
            }
        }
    }
}

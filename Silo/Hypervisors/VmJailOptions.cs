using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Hypervisors;

/// <summary>How VM processes are jailed (bound under each driver's section as <c>Jail</c>).</summary>
public sealed class VmJailOptions
{
    /// <summary>
    /// Benchmark only (false): VM processes then run as root without uid, cgroup, QEMU sandbox/chroot or formation-vmm
    /// seccomp. A driver refuses it unless the environment variable <see cref="BenchmarkEnvironmentVariable"/> is
    /// <c>1</c>; the silo refuses it always (<see cref="RefuseUnjailed{T}"/>).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Environment variable a benchmark sets to be allowed to turn the jail off.</summary>
    public const string BenchmarkEnvironmentVariable = "FORMATION_BENCHMARK_UNJAILED_VMS";

    /// <summary>
    /// Whether a VM is launched jailed: true unless the jail is switched off by a benchmark that said so in its
    /// environment; anything else that switches it off gets an error instead of an unjailed guest.
    /// </summary>
    public bool Required()
    {
        if (Enabled)
        {
            return true;
        }

        if (Environment.GetEnvironmentVariable(BenchmarkEnvironmentVariable) != "1")
        {
            throw new InvalidOperationException(
                $"Jail:Enabled=false runs guests' VMMs as root without limits and is for benchmarks only; it needs {BenchmarkEnvironmentVariable}=1");
        }

        return false;
    }

    /// <summary>
    /// The silo runs other people's guests: it never launches them unjailed, whatever the environment. Added to the
    /// registration of each driver's options (<paramref name="jail"/> selects its <see cref="VmJailOptions"/>).
    /// </summary>
    public static OptionsBuilder<T> RefuseUnjailed<T>(OptionsBuilder<T> options, string section, Func<T, VmJailOptions> jail)
        where T : class =>
        options.Validate(o => jail(o).Enabled,
            $"{section}:Jail:Enabled=false is for benchmarks only; the silo never runs VMs outside their jail (remove the setting)").ValidateOnStart();

    /// <summary>First host uid of the VM range; each VM gets its own uid (and gid) from here on.</summary>
    public long UidBase { get; set; } = 1_100_000_000;

    /// <summary>How many uids the VM range holds (the most VMs one node can run at once).</summary>
    public long UidCount { get; set; } = 65536;

    /// <summary>The cgroup (under the v2 root, or each v1 controller) that VMs' cgroups are made in.</summary>
    public string CgroupParent { get; set; } = "formation-vms";

    /// <summary>Most tasks (vCPU, I/O and helper threads) one VM process may have.</summary>
    public long PidsMax { get; set; } = 512;

    /// <summary>CPUs of time the VMM may use beyond the VM's vCPUs (its own I/O and main-loop threads).</summary>
    public double CpuOverhead { get; set; } = 0.5;
}

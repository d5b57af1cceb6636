namespace Formation.Silo.Hypervisors;

/// <summary>How VM processes are jailed (bound under each driver's section as <c>Jail</c>).</summary>
public sealed class VmJailOptions
{
    /// <summary>Off only for benchmarks that measure the jail's cost: VM processes then run as root without limits.</summary>
    public bool Enabled { get; set; } = true;

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

namespace Formation.Silo.Nodes;

/// <summary>What this node offers to the scheduler, when not what the host has (section "Formation:Capacity").</summary>
public sealed class CapacityOptions
{
    /// <summary>vCPUs offered per host CPU (default 4).</summary>
    public double CpuOvercommit { get; set; } = 4;

    /// <summary>Memory kept for the host and not offered to VMs (default 1024 MiB).</summary>
    public long ReservedMemoryMiB { get; set; } = 1024;

    public int? VCpus { get; set; }

    public long? MemoryMiB { get; set; }

    public long? DiskGiB { get; set; }
}

namespace Formation.P2p.Records;

/// <summary>A node's capacity summary in its record.</summary>
public sealed record NodeCapacity(int VCpus, long MemoryMiB, long DiskGiB);

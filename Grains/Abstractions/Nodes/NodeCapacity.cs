namespace Formation.Nodes;

/// <summary>An amount of the three resources the scheduler places by.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.capacity")]
public readonly record struct NodeCapacity(
    [property: Id(0)] int VCpus,
    [property: Id(1)] long MemoryMiB,
    [property: Id(2)] long DiskGiB)
{
    public static NodeCapacity Zero => default;

    public static NodeCapacity operator +(NodeCapacity a, NodeCapacity b) =>
        new(a.VCpus + b.VCpus, a.MemoryMiB + b.MemoryMiB, a.DiskGiB + b.DiskGiB);

    public static NodeCapacity operator -(NodeCapacity a, NodeCapacity b) =>
        new(a.VCpus - b.VCpus, a.MemoryMiB - b.MemoryMiB, a.DiskGiB - b.DiskGiB);

    /// <summary>True when every resource of <paramref name="request"/> fits into this amount.</summary>
    public bool Fits(NodeCapacity request) =>
        request.VCpus <= VCpus && request.MemoryMiB <= MemoryMiB && request.DiskGiB <= DiskGiB;

    public override string ToString() => $"{VCpus} vCPU, {MemoryMiB} MiB memory, {DiskGiB} GiB disk";
}

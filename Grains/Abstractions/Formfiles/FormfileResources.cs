using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary>Default resources of VMs made from the image (<c>VCPU</c>, <c>MEM</c>, <c>DISK</c>, <c>GPU</c>).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileResources")]
public sealed record FormfileResources(
    [property: Id(0)] int Vcpu,
    [property: Id(1)] int MemoryMb,
    [property: Id(2)] int DiskGb,
    [property: Id(3)] ImmutableArray<GpuRequest> Gpus)
{
    public const int MinVcpu = 1;
    public const int MaxVcpu = 128;
    public const int DefaultVcpu = 1;
    public const int MinMemoryMb = 64;
    public const int MaxMemoryMb = 256_000;
    public const int DefaultMemoryMb = 512;
    public const int MinDiskGb = 1;
    public const int MaxDiskGb = 65_535;
    public const int DefaultDiskGb = 5;
    public const int MaxGpuCount = 8;

    /// <summary>Defaults when a Formfile states none (1 vCPU, 512 MB, 5 GB, no GPU).</summary>
    public static FormfileResources Default { get; } = new(DefaultVcpu, DefaultMemoryMb, DefaultDiskGb, []);
}

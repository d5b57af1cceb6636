using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Formation.Formfiles;

/// <summary>Default resources of VMs made from the image (<c>VCPU</c>, <c>MEM</c>, <c>DISK</c>, <c>GPU</c>). Memory is in MiB
/// and disk in GiB like everywhere else; the JSON names stay <c>memoryMb</c>/<c>diskGb</c> because manifests on disk and
/// their digests were made with them.</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileResources")]
public sealed record FormfileResources(
    [property: Id(0)] int Vcpu,
    [property: Id(1), JsonPropertyName("memoryMb")] int MemoryMiB,
    [property: Id(2), JsonPropertyName("diskGb")] int DiskGiB,
    [property: Id(3)] ImmutableArray<GpuRequest> Gpus)
{
    public const int MinVcpu = 1;
    public const int MaxVcpu = 128;
    public const int DefaultVcpu = 1;
    public const int MinMemoryMiB = 64;
    public const int MaxMemoryMiB = 256_000;
    public const int DefaultMemoryMiB = 512;
    public const int MinDiskGiB = 1;
    public const int MaxDiskGiB = 65_535;
    public const int DefaultDiskGiB = 5;
    public const int MaxGpuCount = 8;

    /// <summary>Defaults when a Formfile states none (1 vCPU, 512 MB, 5 GB, no GPU).</summary>
    public static FormfileResources Default { get; } = new(DefaultVcpu, DefaultMemoryMiB, DefaultDiskGiB, []);
}

namespace Formation.Vms;

/// <summary>
/// A VM's memory as <c>form vm resize --memory</c> sees it: <see cref="BootMiB"/> the guest booted with (the most it can
/// have without memory hotplug), <see cref="TargetMiB"/> what the balloon is asked to leave it, and
/// <see cref="ActualMiB"/> what the hypervisor reports the guest has now (the guest gives memory back at its pace).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-memory")]
public sealed record VmMemory(
    [property: Id(0)] long BootMiB,
    [property: Id(1)] long TargetMiB,
    [property: Id(2)] long ActualMiB);

namespace Formation.Vms;

/// <summary>Where a VM lives: its id and its node. <see cref="GrainKey"/> addresses its grain.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-ref")]
public sealed record VmRef(
    [property: Id(0)] string Id,
    [property: Id(1)] string NodeId)
{
    public string GrainKey => GrainKeys.Vm(NodeId, Id);
}

namespace Formation.Vms;

/// <summary>One VM of a drained node: the node it moved to, or why it stays (<see cref="Problem"/>).</summary>
[GenerateSerializer, Immutable, Alias("formation.drained-vm")]
public sealed record DrainedVm(
    [property: Id(0)] string VmId,
    [property: Id(1)] string Name,
    [property: Id(2)] string? MovedTo,
    [property: Id(3)] string? Problem)
{
    /// <summary>True when the VM should have moved and did not (a stopped VM staying is not a failure).</summary>
    public bool Failed => MovedTo is null && Problem is not null && !Problem.StartsWith(StaysPrefix, StringComparison.Ordinal);

    /// <summary>How the reason of a VM that stays by design (it is not running) begins.</summary>
    public const string StaysPrefix = "stays: ";
}

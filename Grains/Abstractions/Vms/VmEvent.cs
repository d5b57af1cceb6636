namespace Formation.Vms;

/// <summary>One state transition of a VM, published on the event streams and kept in the VM's history.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-event")]
public sealed record VmEvent(
    [property: Id(0)] string VmId,
    [property: Id(1)] string Name,
    [property: Id(2)] string NodeId,
    [property: Id(3)] VmState From,
    [property: Id(4)] VmState To,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] string? Reason)
{
    /// <summary>One line of <c>form vm events</c>: time, VM, node, transition and reason.</summary>
    public string ToLine() =>
        $"{At.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff}  {Name} ({VmId})  {NodeId}  {From} -> {To}" + (Reason is null ? "" : $"  {Reason}");
}

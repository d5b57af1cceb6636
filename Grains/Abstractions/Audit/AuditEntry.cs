namespace Formation.Audit;

/// <summary>
/// One recorded request that changed (or tried to change) state: who asked, what, on which grain key, when, how it ended
/// and how long it took. <see cref="Id"/> grows with each row the cluster's storage keeps, so a follower asks for rows
/// after the last one it saw.
/// </summary>
/// <param name="Action">The grain interface and method without their decorations, e.g. <c>Vm.Delete</c>, <c>VmCatalog.CreateVm</c>.</param>
/// <param name="Target">The called grain's key (a VM's <c>node/vm-id</c>, a service's name, <c>cluster</c> for catalogs).</param>
/// <param name="Arguments">A short summary of the arguments: names and sizes, never secrets or payloads.</param>
/// <param name="Result"><c>ok</c>, or the error's kind (<c>NotFound</c>, <c>PermissionDenied</c>, …; <c>Failed</c> for an unexpected exception).</param>
/// <param name="Error">The error's message when the request failed.</param>
/// <param name="Node">The node whose silo served the request.</param>
[GenerateSerializer, Immutable]
[Alias("formation.audit-entry")]
public sealed record AuditEntry(
    [property: Id(0)] long Id,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Account,
    [property: Id(3)] string Action,
    [property: Id(4)] string Target,
    [property: Id(5)] string Arguments,
    [property: Id(6)] string Result,
    [property: Id(7)] string? Error,
    [property: Id(8)] long DurationMs,
    [property: Id(9)] string Node)
{
    /// <summary>The <see cref="Result"/> of a request that succeeded.</summary>
    public const string Ok = "ok";

    /// <summary>The <see cref="Result"/> of a request that failed with something other than a Formation error.</summary>
    public const string Failed = "Failed";
}

namespace Formation.Audit;

/// <summary>
/// The cluster's audit trail, read from its storage by whichever silo is nearest (a stateless worker; key
/// <see cref="Key"/>). Admins only: a member gets <see cref="Errors.ErrorKind.PermissionDenied"/>.
/// </summary>
[Alias("formation.audit")]
public interface IAuditGrain : IGrainWithStringKey
{
    public const string Key = "cluster";

    /// <summary>The rows <paramref name="query"/> selects, oldest first.</summary>
    [Alias("read")]
    [NonMutating]
    Task<IReadOnlyList<AuditEntry>> ReadAsync(AuditQuery query);
}

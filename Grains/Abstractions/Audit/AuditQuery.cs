namespace Formation.Audit;

/// <summary>
/// Which audit rows to read. Without <see cref="AfterId"/>: the newest <see cref="Limit"/> rows that match, returned
/// oldest first. With it (following): the rows after that id, oldest first, at most <see cref="Limit"/>.
/// </summary>
/// <param name="Account">Only this account's requests; null for all.</param>
/// <param name="Since">Only requests made at or after this time; null for no bound.</param>
[GenerateSerializer, Immutable]
[Alias("formation.audit-query")]
public sealed record AuditQuery(
    [property: Id(0)] string? Account = null,
    [property: Id(1)] DateTimeOffset? Since = null,
    [property: Id(2)] long? AfterId = null,
    [property: Id(3)] int Limit = AuditQuery.DefaultLimit)
{
    public const int DefaultLimit = 100;

    /// <summary>The most rows one read returns, however many were asked for.</summary>
    public const int MaxLimit = 10_000;
}

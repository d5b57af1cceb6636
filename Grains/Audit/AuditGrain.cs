using Formation.Audit;
using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Identity;
using Orleans.Concurrency;

namespace Formation.Grains.Audit;

/// <summary>
/// Reads the audit trail for admins. A stateless worker: the rows live in the cluster's storage, so any silo answers
/// without a hop to a single activation, and a <c>--follow</c> poll costs one query.
/// </summary>
[StatelessWorker]
public sealed class AuditGrain(IAuditTrail trail) : Grain, IAuditGrain
{
    public Task<IReadOnlyList<AuditEntry>> ReadAsync(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!CallerContext.CurrentOrSystem.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied,
                "the audit trail is for admins; ask an admin of this cluster to run `form audit` for you.");
        }

        if (query.Limit < 1)
        {
            throw FormationException.Invalid($"--limit {query.Limit} is not a row count: give 1 or more (at most {AuditQuery.MaxLimit}).");
        }

        if (query.Account is { Length: 0 })
        {
            throw FormationException.Invalid("--account is empty: name an account, or leave the option out for all accounts.");
        }

        return trail.ReadAsync(query with { Limit = Math.Min(query.Limit, AuditQuery.MaxLimit) }, CancellationToken.None);
    }
}

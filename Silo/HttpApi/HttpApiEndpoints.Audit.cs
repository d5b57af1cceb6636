using Formation.Audit;
using Formation.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Formation.Silo.HttpApi;

public static partial class HttpApiEndpoints
{
    /// <summary><c>form audit</c>: the newest rows (oldest first), or with <c>after</c> the rows after that id (for following).</summary>
    private static void MapAudit(RouteGroupBuilder v1, IClusterClient grains)
    {
        v1.MapGet("/audit", (string? account, string? since, int? limit, long? after, CancellationToken ct) => Run(async () =>
        {
            DateTimeOffset? from = null;
            if (since is not null)
            {
                if (!Durations.TryParse(since, out var window) || window <= TimeSpan.Zero)
                {
                    throw FormationException.Invalid($"since '{since}' is not a duration: use e.g. 30m, 1h or 7d.");
                }

                from = DateTimeOffset.UtcNow - window;
            }

            var query = new AuditQuery(account, from, after, limit ?? AuditQuery.DefaultLimit);
            return Results.Ok(await grains.GetGrain<IAuditGrain>(IAuditGrain.Key).ReadAsync(query));
        })).WithSummary("The audit trail: who changed what, when, and how it ended (admins)")
            .Produces<IReadOnlyList<AuditEntry>>().ProducesError(400, 401, 403);
    }
}

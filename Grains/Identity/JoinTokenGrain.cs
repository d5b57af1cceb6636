using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Identity;
using Orleans.Concurrency;

namespace Formation.Grains.Identity;

/// <summary>Checks the requested lifetime and has the silo store a new token (only the hash of its secret).</summary>
[StatelessWorker]
public sealed class JoinTokenGrain(IJoinTokenIssuer issuer) : Grain, IJoinTokenGrain
{
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaximumTtl = TimeSpan.FromDays(7);

    public Task<JoinTokenIssued> CreateAsync(TimeSpan ttl)
    {
        if (ttl < MinimumTtl || ttl > MaximumTtl)
        {
            throw FormationException.Invalid($"--ttl {ttl} is out of range: a join token lives between 1 minute and 7 days (e.g. --ttl 1h).");
        }

        return issuer.CreateAsync(ttl, CancellationToken.None);
    }
}

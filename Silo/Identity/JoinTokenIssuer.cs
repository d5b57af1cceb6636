using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// Makes join tokens for the cluster whose CA this node pins (cluster mode): a random secret, stored only as its
/// SHA-256 with its expiry. Without a store (embedded mode) it refuses.
/// </summary>
public sealed class JoinTokenIssuer(IdentityStore? store, ClusterCredential? node, TimeProvider time) : IJoinTokenIssuer
{
    public async Task<JoinTokenIssued> CreateAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (store is null || node is null)
        {
            throw FormationException.Invalid("join tokens are for cluster mode: this silo runs in embedded mode, a cluster of one that no node can join.");
        }

        var authority = await store.AuthorityAsync(cancellationToken)
            ?? throw FormationException.Conflict("this cluster's database records no CA: restart the node that made the cluster so it records it again.");
        var fingerprint = CaPin.Fingerprint(node.Ca);
        if (authority.Fingerprint != fingerprint)
        {
            throw FormationException.Conflict($"this node pins CA sha256 {fingerprint[..16]}… but the cluster's database records {authority.Fingerprint[..16]}…: the node belongs to another cluster.");
        }

        var token = JoinToken.New(fingerprint);
        var now = time.GetUtcNow();
        await store.AddTokenAsync(token.Hash, now, now + ttl, cancellationToken);
        return new JoinTokenIssued(token.ToString(), now + ttl, authority.JoinEndpoint, fingerprint);
    }
}

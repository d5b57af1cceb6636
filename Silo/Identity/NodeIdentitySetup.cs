using System.Net;
using Formation.Identity;
using Formation.Silo.Hosting;
using Formation.Silo.Storage;

namespace Formation.Silo.Identity;

/// <summary>
/// Gives a cluster-mode node its TLS credential before its silo starts. A node that has one keeps it. A new node with
/// a join token exchanges it for a certificate at the CA holder. A new node without one makes the cluster: the CA,
/// its own certificate and the first admin credential — unless the cluster's database already records a CA, in which
/// case it is refused (two CAs would split the cluster).
/// </summary>
public static class NodeIdentitySetup
{
    /// <summary>What the setup did, for the silo's start-up line.</summary>
    public sealed record Outcome(ClusterCredential Node, ClusterAuthority? Authority, IdentityStore? Store, string Summary);

    public static async Task<Outcome> PrepareAsync(SiloConfig config, FormationOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var files = IdentityDirectory.In(config.DataDirectory);
        files.Create();
        var store = new IdentityStore(DatabaseKind.PostgreSql, config.Postgres!, config.ServiceId, config.ClusterId);
        var now = DateTimeOffset.UtcNow;
        var authority = ClusterAuthority.Load(files);
        var joinEndpoint = $"{config.AdvertisedAddress}:{config.JoinPort}";
        if (File.Exists(files.NodeCredential))
        {
            var node = ClusterCredential.Load(files.NodeCredential);
            if (authority is not null)
            {
                await SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, config.Postgres!, logger, cancellationToken);
                await store.ClaimAuthorityAsync(new IdentityStore.Authority(authority.Fingerprint, config.NodeId, joinEndpoint), now, cancellationToken);
                await store.UpdateJoinEndpointAsync(authority.Fingerprint, joinEndpoint, cancellationToken);
            }

            return new Outcome(node, authority, store, $"TLS as '{node.Name}', CA sha256 {CaPin.Fingerprint(node.Ca)[..16]}…");
        }

        // The joining node talks to the database only to find the CA holder; the tables exist once any node has started.
        await SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, config.Postgres!, logger, cancellationToken);
        var recorded = await store.AuthorityAsync(cancellationToken);
        if (options.JoinToken is { } text)
        {
            JoinToken.TryParse(text, out var token, out _); // checked by SiloConfig.Resolve
            var endpoint = options.JoinAddress ?? recorded?.JoinEndpoint
                ?? throw new CredentialException("no node of this cluster has made a CA yet, so there is nothing to join: start the first node without --join-token.");
            var joined = await JoinClient.JoinAsync(endpoint, token, config.NodeId, [config.AdvertisedAddress], cancellationToken);
            joined.Write(files.NodeCredential);
            return new Outcome(joined, null, store, $"joined through {endpoint}; TLS as '{joined.Name}'");
        }

        if (recorded is not null && (authority is null || authority.Fingerprint != recorded.Fingerprint))
        {
            throw new CredentialException(
                $"cluster '{config.ClusterId}' in this database already has a CA (sha256 {recorded.Fingerprint[..16]}…, held by node '{recorded.HolderNode}'). " +
                "Make a join token there (`form node token create --ttl 1h`) and start this node with --join-token TOKEN.");
        }

        var created = authority is null;
        authority ??= ClusterAuthority.Create(config.ClusterId, now);
        if (recorded is null && !await store.ClaimAuthorityAsync(new IdentityStore.Authority(authority.Fingerprint, config.NodeId, joinEndpoint), now, cancellationToken))
        {
            throw new CredentialException(
                $"another node made cluster '{config.ClusterId}''s CA at the same moment; start this node again with a join token from that node.");
        }

        authority.Save(files);
        var credential = authority.IssueCredential(config.NodeId, ClusterAuthority.NodeUnit, NodeAddresses(config), now);
        credential.Write(files.NodeCredential);
        if (!File.Exists(files.AdminCredential))
        {
            using var admin = authority.IssueCredential("admin", ClusterAuthority.ClientUnit, [], now);
            admin.Write(files.AdminCredential);
        }

        return new Outcome(credential, authority, store,
            $"{(created ? "made the cluster CA" : "re-issued this node's certificate with the cluster CA")} (sha256 {authority.Fingerprint}); " +
            $"admin credential in {files.AdminCredential}");
    }

    /// <summary>
    /// Embedded mode: the same CA, node certificate and admin credential, made on first start in <c>DATA/identity</c>
    /// (0700; keys 0600) and reused afterwards. The gateway then speaks mutual TLS and every call carries a proof, so a
    /// local user who cannot read the admin credential (root's, or the silo user's) cannot act on the cluster.
    /// </summary>
    public static Outcome PrepareEmbedded(SiloConfig config)
    {
        var files = IdentityDirectory.In(config.DataDirectory);
        files.Create();
        var now = DateTimeOffset.UtcNow;
        var authority = ClusterAuthority.Load(files);
        var created = authority is null;
        if (authority is null)
        {
            authority = ClusterAuthority.Create(config.ClusterId, now);
            authority.Save(files);
        }

        ClusterCredential? node = null;
        if (!created && File.Exists(files.NodeCredential))
        {
            node = ClusterCredential.Load(files.NodeCredential);
            if (CaPin.Fingerprint(node.Ca) != authority.Fingerprint || node.Name != config.NodeId || node.Certificate.NotAfter.ToUniversalTime() < now.UtcDateTime.AddDays(1))
            {
                node.Dispose();
                node = null;
            }
        }

        if (node is null)
        {
            node = authority.IssueCredential(config.NodeId, ClusterAuthority.NodeUnit, NodeAddresses(config), now);
            node.Write(files.NodeCredential);
        }

        if (created || !File.Exists(files.AdminCredential))
        {
            using var admin = authority.IssueCredential(Caller.AdminAccount, ClusterAuthority.ClientUnit, [], now);
            admin.Write(files.AdminCredential);
        }

        return new Outcome(node, authority, null,
            $"{(created ? "made this host's CA" : "CA")} sha256 {authority.Fingerprint[..16]}…; admin credential in {files.AdminCredential}");
    }

    private static IEnumerable<IPAddress> NodeAddresses(SiloConfig config) =>
        IPAddress.IsLoopback(config.AdvertisedAddress) ? [config.AdvertisedAddress] : [config.AdvertisedAddress, IPAddress.Loopback];
}

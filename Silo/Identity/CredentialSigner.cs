using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// The silo's side of <see cref="ICredentialSigner"/>: the node that made the cluster holds the CA key and signs; every
/// other node only knows (from the cluster's database) which node that is. Embedded mode: the one node holds it.
/// </summary>
public sealed class CredentialSigner(ClusterAuthority? authority, IdentityStore? store, string nodeId, TimeProvider time) : ICredentialSigner
{
    public async Task<string> HolderNodeAsync(CancellationToken cancellationToken)
    {
        if (authority is not null || store is null)
        {
            return nodeId;
        }

        var recorded = await store.AuthorityAsync(cancellationToken)
            ?? throw FormationException.Conflict("this cluster's database records no CA: restart the node that made the cluster so it records it again.");
        return recorded.HolderNode;
    }

    public AccountCredentialIssued Sign(string account, string csrPem)
    {
        if (authority is null)
        {
            throw new FormationException(ErrorKind.NodeUnavailable,
                $"node '{nodeId}' holds no cluster CA key, so it cannot sign credentials; the node that made the cluster does.");
        }

        try
        {
            using var certificate = authority.IssueForRequest(csrPem, account, [], time.GetUtcNow(), ClusterAuthority.ClientUnit);
            return new AccountCredentialIssued(certificate.ExportCertificatePem(), authority.Certificate.ExportCertificatePem());
        }
        catch (CredentialException ex)
        {
            throw FormationException.Invalid(ex.Message);
        }
    }
}

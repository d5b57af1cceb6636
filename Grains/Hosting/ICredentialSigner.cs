using Formation.Identity;

namespace Formation.Grains.Hosting;

/// <summary>The silo's access to the cluster CA: which node holds its key, and signing with it (only on that node).</summary>
public interface ICredentialSigner
{
    /// <summary>The node id of the silo that holds the CA key.</summary>
    Task<string> HolderNodeAsync(CancellationToken cancellationToken);

    /// <summary>Signs a client certificate for <paramref name="account"/>; throws when this silo holds no CA key.</summary>
    AccountCredentialIssued Sign(string account, string csrPem);
}

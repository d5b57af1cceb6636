namespace Formation.Identity;

/// <summary>
/// The cluster CA's signing of account certificates. Only the node that made the cluster holds the CA key, so this grain
/// runs there (key <c>NODE/ca</c>, host affinity) and answers only the silo's own account registry (caller System).
/// </summary>
[Alias("formation.certificate-signer")]
[NodeOnly]
public interface ICertificateSignerGrain : IGrainWithStringKey
{
    /// <summary>A client certificate named <paramref name="account"/> for the key in <paramref name="csrPem"/>.</summary>
    [Alias("sign")]
    [Mutating]
    Task<AccountCredentialIssued> SignAsync(string account, string csrPem);
}

using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Identity;

namespace Formation.Grains.Identity;

/// <summary>Signs account certificates on the node that holds the CA key; only the silo's own account registry may ask.</summary>
[HostAffinityPlacement]
public sealed class CertificateSignerGrain(ICredentialSigner signer) : Grain, ICertificateSignerGrain
{
    public Task<AccountCredentialIssued> SignAsync(string account, string csrPem)
    {
        if (CallerContext.Current != Caller.System)
        {
            throw new FormationException(ErrorKind.PermissionDenied, "the cluster CA signs only through the account registry: use `form account create`.");
        }

        return Task.FromResult(signer.Sign(account, csrPem));
    }
}

using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// Mutual TLS for a direct connection between two nodes outside Orleans (the image stream): each side shows its node
/// certificate and accepts the other's only when it chains to the pinned cluster CA (never the machine's trust store)
/// and was issued to a node (<c>OU=node</c>); a client certificate (<c>form</c>, the dashboard) is refused. The
/// connecting side also requires the certificate to name the node it meant to reach.
/// </summary>
public static class NodeTls
{
    public static SslServerAuthenticationOptions Server(ClusterCredential node) => new()
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(node.Certificate, additionalCertificates: null, offline: true),
        ClientCertificateRequired = true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = CaPin.Policy(node.Ca),
        RemoteCertificateValidationCallback = (_, certificate, _, _) => IsNode(node, certificate, expectedName: null),
    };

    public static SslClientAuthenticationOptions Client(ClusterCredential node, string nodeId) => new()
    {
        TargetHost = nodeId,
        ClientCertificateContext = SslStreamCertificateContext.Create(node.Certificate, additionalCertificates: null, offline: true),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        CertificateChainPolicy = CaPin.Policy(node.Ca),
        RemoteCertificateValidationCallback = (_, certificate, _, _) => IsNode(node, certificate, nodeId),
    };

    /// <summary>True when <paramref name="certificate"/> is a node certificate of <paramref name="node"/>'s CA (named <paramref name="expectedName"/> if given).</summary>
    public static bool IsNode(ClusterCredential node, X509Certificate? certificate, string? expectedName) =>
        certificate is X509Certificate2 peer && node.Trusts(peer) && ProofVerifier.OrganizationalUnit(peer) == ClusterAuthority.NodeUnit &&
        (expectedName is null || peer.GetNameInfo(X509NameType.SimpleName, forIssuer: false) == expectedName);
}

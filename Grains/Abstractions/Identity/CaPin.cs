using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Formation.Identity;

/// <summary>
/// Trust in a cluster is trust in one CA certificate, pinned: a peer is accepted only when its certificate chains to
/// exactly that CA (the machine's trust store plays no part), and a joining node recognises the cluster by the CA's
/// SHA-256 fingerprint.
/// </summary>
public static class CaPin
{
    /// <summary>The CA's SHA-256 fingerprint over its DER encoding, lower-case hex (what a join token carries).</summary>
    public static string Fingerprint(X509Certificate2 ca) => Convert.ToHexStringLower(SHA256.HashData(ca.RawData));

    /// <summary>
    /// A chain policy that trusts <paramref name="ca"/> alone, with no downloads and no revocation lists. Also given to
    /// TLS (<see cref="PinTls"/>) so the handshake's own chain check does not read the machine's whole trust
    /// store (about 300 certificate files on Debian, tens of ms of a short-lived client's start) for a verdict the
    /// pinned check replaces anyway.
    /// </summary>
    public static X509ChainPolicy Policy(X509Certificate2 ca)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        return policy;
    }

    /// <summary>Gives Orleans' underlying <c>SslClientAuthenticationOptions</c> or <c>SslServerAuthenticationOptions</c> the pinned <see cref="Policy"/>.</summary>
    public static void PinTls(object sslOptions, X509Certificate2 ca)
    {
        switch (sslOptions)
        {
            case System.Net.Security.SslClientAuthenticationOptions client:
                client.CertificateChainPolicy = Policy(ca);
                break;
            case System.Net.Security.SslServerAuthenticationOptions server:
                server.CertificateChainPolicy = Policy(ca);
                break;
        }
    }

    /// <summary>True when <paramref name="peer"/> is valid now and chains to <paramref name="ca"/> and nothing else.</summary>
    public static bool IsIssuedBy(X509Certificate2? peer, X509Certificate2 ca)
    {
        if (peer is null)
        {
            return false;
        }

        using var chain = new X509Chain { ChainPolicy = Policy(ca) };
        if (!chain.Build(peer))
        {
            return false;
        }

        // Custom root trust accepts only the given roots, but a peer that is itself the CA is no node or client.
        var root = chain.ChainElements[^1].Certificate;
        return chain.ChainElements.Count >= 2 && root.RawData.AsSpan().SequenceEqual(ca.RawData);
    }
}

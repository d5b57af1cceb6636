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

    /// <summary>True when <paramref name="peer"/> is valid now and chains to <paramref name="ca"/> and nothing else.</summary>
    public static bool IsIssuedBy(X509Certificate2? peer, X509Certificate2 ca)
    {
        if (peer is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(peer))
        {
            return false;
        }

        // Custom root trust accepts only the given roots, but a peer that is itself the CA is no node or client.
        var root = chain.ChainElements[^1].Certificate;
        return chain.ChainElements.Count >= 2 && root.RawData.AsSpan().SequenceEqual(ca.RawData);
    }
}

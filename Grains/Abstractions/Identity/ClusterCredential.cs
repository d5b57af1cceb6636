using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Formation.Identity;

/// <summary>
/// A certificate the cluster CA signed, its private key and the CA certificate to pin, kept together in one PEM file
/// (mode 0600): a node's TLS identity or a client's credential (<c>form --credential FILE</c>).
/// </summary>
public sealed class ClusterCredential : IDisposable
{
    private ClusterCredential(X509Certificate2 certificate, X509Certificate2 ca)
    {
        Certificate = certificate;
        Ca = ca;
    }

    /// <summary>The holder's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The cluster CA: peers must chain to it.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The common name the CA gave the holder (a node id, or a client's name).</summary>
    public string Name => Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    /// <summary>
    /// Builds a credential from a certificate with its key (the caller keeps and disposes its own objects). No PKCS#12
    /// export and import: on Linux TLS uses the OpenSSL key attached by <c>CopyWithPrivateKey</c> as it is (the round
    /// trip is a Windows need), and skipping it takes a key derivation and two encodings off every client's start.
    /// </summary>
    public static ClusterCredential From(X509Certificate2 certificateWithKey, X509Certificate2 ca)
    {
        if (!certificateWithKey.HasPrivateKey)
        {
            throw new ArgumentException("the certificate has no private key", nameof(certificateWithKey));
        }

        using var key = certificateWithKey.GetECDsaPrivateKey() ?? throw new CredentialException("the credential's key is not an ECDSA key.");
        using var certificate = X509CertificateLoader.LoadCertificate(certificateWithKey.RawData);
        return new ClusterCredential(certificate.CopyWithPrivateKey(key), X509CertificateLoader.LoadCertificate(ca.RawData));
    }

    /// <summary>Reads a credential file; a missing, unreadable or incomplete file is an error saying which.</summary>
    public static ClusterCredential Load(string path)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CredentialException($"cannot read credential '{path}': {ex.Message}");
        }

        return Parse(pem, path);
    }

    /// <summary>Parses the PEM text of a credential: the holder's certificate first, the CA certificate, the private key.</summary>
    public static ClusterCredential Parse(string pem, string source)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new CredentialException($"credential '{source}' holds a certificate that cannot be read: {ex.Message}");
        }

        var ca = certificates.FirstOrDefault(IsCa);
        var own = certificates.FirstOrDefault(c => !IsCa(c));
        if (ca is null || own is null)
        {
            throw new CredentialException(
                $"credential '{source}' must hold the holder's certificate and the cluster CA certificate (found {certificates.Count} certificate(s)).");
        }

        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            var credential = new ClusterCredential(own.CopyWithPrivateKey(key), ca);
            foreach (var other in certificates.Where(c => c != own && c != ca))
            {
                other.Dispose();
            }

            own.Dispose();
            return credential;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new CredentialException($"credential '{source}' has no usable ECDSA private key matching its certificate: {ex.Message}");
        }
    }

    /// <summary>The PEM text of this credential (certificate, CA certificate, private key).</summary>
    public string ToPem()
    {
        var text = new StringBuilder();
        text.AppendLine(Certificate.ExportCertificatePem());
        text.AppendLine(Ca.ExportCertificatePem());
        using var key = Certificate.GetECDsaPrivateKey() ?? throw new CredentialException("the credential's key is not an ECDSA key.");
        text.AppendLine(key.ExportPkcs8PrivateKeyPem());
        return text.ToString();
    }

    /// <summary>Writes the credential to <paramref name="path"/>, readable by its owner only (created 0600, never widened).</summary>
    public void Write(string path) => SecretFile.Write(path, ToPem());

    /// <summary>True when <paramref name="peer"/> was issued by this credential's CA.</summary>
    public bool Trusts(X509Certificate2? peer) => CaPin.IsIssuedBy(peer, Ca);

    public void Dispose()
    {
        Certificate.Dispose();
        Ca.Dispose();
    }

    private static bool IsCa(X509Certificate2 c) =>
        c.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
}

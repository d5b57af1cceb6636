using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// The cluster CA: an ECDSA P-256 key and a self-signed certificate, made once per cluster by its first node. It signs
/// node certificates (from a joining node's CSR) and client credentials; every node and client pins its certificate.
/// </summary>
public sealed class ClusterAuthority : IDisposable
{
    /// <summary>How long the CA is valid: rotating it means re-issuing every node and client, so it is long.</summary>
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);

    /// <summary>How long a node or client certificate is valid.</summary>
    public static readonly TimeSpan CertificateLifetime = TimeSpan.FromDays(365);

    /// <summary>
    /// Organizational unit of node certificates (silos); clients (accounts) carry <see cref="ClientUnit"/>. The identity
    /// filter tells them apart by it: only a node's proof may act on behalf of another caller.
    /// </summary>
    public const string NodeUnit = "node";

    public const string ClientUnit = "client";

    private readonly ECDsa _key;

    private ClusterAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    public string Fingerprint => CaPin.Fingerprint(Certificate);

    /// <summary>Makes a new CA for <paramref name="clusterId"/>.</summary>
    public static ClusterAuthority Create(string clusterId, DateTimeOffset now)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN=Formation cluster CA {clusterId}, O=Formation"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var selfSigned = request.CreateSelfSigned(now.AddMinutes(-5), now + CaLifetime);
        return new ClusterAuthority(X509CertificateLoader.LoadCertificate(selfSigned.RawData), key);
    }

    /// <summary>Reads the CA from its two files (certificate PEM, private key PEM); null when this node holds no CA key.</summary>
    public static ClusterAuthority? Load(IdentityDirectory files)
    {
        if (!File.Exists(files.CaKey))
        {
            return null;
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(files.CaCertificate));
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(files.CaKey));
            return new ClusterAuthority(X509CertificateLoader.LoadCertificate(certificate.RawData), key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new CredentialException($"the cluster CA in {files.Directory} cannot be read ({ex.Message}); restore ca.crt and ca.key from a backup.");
        }
    }

    /// <summary>Writes the certificate (0644) and the private key (0600).</summary>
    public void Save(IdentityDirectory files)
    {
        SecretFile.Write(files.CaKey, _key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(files.CaCertificate, Certificate.ExportCertificatePem());
    }

    /// <summary>A credential for a new holder: a fresh key pair made here and a certificate for it.</summary>
    public ClusterCredential IssueCredential(string name, string unit, IEnumerable<IPAddress> addresses, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject(name, unit), key, HashAlgorithmName.SHA256);
        using var certificate = Sign(request.PublicKey, name, unit, addresses, now);
        using var withKey = certificate.CopyWithPrivateKey(key);
        return ClusterCredential.From(withKey, Certificate);
    }

    /// <summary>
    /// A node certificate for the public key of a PEM certificate signing request. The CSR's signature proves the
    /// requester holds the key; its subject is ignored: the name is <paramref name="nodeId"/>, checked by the caller.
    /// </summary>
    public X509Certificate2 IssueForRequest(string csrPem, string nodeId, IEnumerable<IPAddress> addresses, DateTimeOffset now, string unit = NodeUnit)
    {
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException ex)
        {
            throw new CredentialException($"the certificate signing request is not valid: {ex.Message}");
        }

        if (csr.PublicKey.Oid.Value != "1.2.840.10045.2.1")
        {
            throw new CredentialException("the certificate signing request must be for an ECDSA key.");
        }

        return Sign(csr.PublicKey, nodeId, unit, addresses, now);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }

    private X509Certificate2 Sign(PublicKey publicKey, string name, string unit, IEnumerable<IPAddress> addresses, DateTimeOffset now)
    {
        var request = new CertificateRequest(Subject(name, unit), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        // Silos are TLS servers (gateway, silo port) and clients (to other silos): nodes carry both; clients only client auth.
        var usages = new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") };
        if (unit == NodeUnit)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var notAfter = now + CertificateLifetime < Certificate.NotAfter ? now + CertificateLifetime : new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddMinutes(-5), notAfter,
            Serial());
    }

    /// <summary>A random, positive 128-bit serial number.</summary>
    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    private static X500DistinguishedName Subject(string name, string unit)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName("Formation");
        builder.AddOrganizationalUnitName(unit);
        builder.AddCommonName(name);
        return builder.Build();
    }
}

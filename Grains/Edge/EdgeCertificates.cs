using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Edge;
using Formation.Errors;

namespace Formation.Grains.Edge;

/// <summary>Checking a certificate a user hands over for a route, and making a self-signed one.</summary>
public static class EdgeCertificates
{
    public static readonly TimeSpan SelfSignedLifetime = TimeSpan.FromDays(90);

    /// <summary>
    /// The certificate for <paramref name="host"/>: the user's (which must parse, match its key, name the host and not be
    /// expired) or a new self-signed one; with the facts the route shows.
    /// </summary>
    public static (EdgeCertificate Certificate, EdgeRouteTls Tls) Prepare(string host, EdgeTlsRequest request, DateTimeOffset now)
    {
        if (request.SelfSigned)
        {
            if (request.CertificatePem is not null || request.KeyPem is not null)
            {
                throw FormationException.Invalid("Give either a certificate and key or --self-signed, not both.");
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(host);
            csr.CertificateExtensions.Add(san.Build());
            csr.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
            using var made = csr.CreateSelfSigned(now.AddHours(-1), now + SelfSignedLifetime);
            var pem = new EdgeCertificate(host, made.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
            return (pem, new EdgeRouteTls(made.Subject, made.NotAfter.ToUniversalTime(), true, made.Thumbprint));
        }

        if (request.CertificatePem is not { Length: > 0 } certPem || request.KeyPem is not { Length: > 0 } keyPem)
        {
            throw FormationException.Invalid("TLS needs both a certificate and its key (PEM), or --self-signed.");
        }

        X509Certificate2 cert;
        try
        {
            cert = X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw FormationException.Invalid($"The certificate does not match its key, or one of them is not PEM ({ex.Message}). Nothing was changed.");
        }

        using (cert)
        {
            if (!cert.MatchesHostname(host))
            {
                throw FormationException.Invalid($"The certificate is for {cert.Subject}, not for '{host}'. Use a certificate that names the host.");
            }

            if (cert.NotAfter.ToUniversalTime() < now.UtcDateTime)
            {
                throw FormationException.Invalid($"The certificate expired on {cert.NotAfter.ToUniversalTime():u}. Renew it first.");
            }

            return (new EdgeCertificate(host, certPem, keyPem), new EdgeRouteTls(cert.Subject, cert.NotAfter.ToUniversalTime(), false, cert.Thumbprint));
        }
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Identity;
using Formation.Silo.Identity;

namespace Formation.Silo.Tests.Identity;

/// <summary>The cluster CA's certificates and the pinning rule every node and client applies to its peers.</summary>
public sealed class ClusterAuthorityTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TestDirectory _dir = new();

    [Fact]
    public void Ca_IsAnEcdsaP256CaCertificate_ValidForYears()
    {
        using var ca = ClusterAuthority.Create("formation", Now);
        var certificate = ca.Certificate;
        Assert.True(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal("1.2.840.10045.2.1", certificate.PublicKey.Oid.Value);
        using var key = certificate.GetECDsaPublicKey()!;
        Assert.Equal(256, key.KeySize);
        Assert.True(certificate.NotAfter > Now.AddYears(9).UtcDateTime);
        Assert.Equal(64, ca.Fingerprint.Length);
    }

    [Fact]
    public void IssuedCredential_IsTrustedByItsCa_AndNotByAnother()
    {
        using var ca = ClusterAuthority.Create("formation", Now);
        using var other = ClusterAuthority.Create("formation", Now);
        using var node = ca.IssueCredential("node-a", ClusterAuthority.NodeUnit, [IPAddress.Loopback], Now);
        using var stranger = other.IssueCredential("node-a", ClusterAuthority.NodeUnit, [IPAddress.Loopback], Now);

        Assert.True(node.Trusts(node.Certificate));
        Assert.False(node.Trusts(stranger.Certificate));
        Assert.False(node.Trusts(null));
        Assert.False(node.Trusts(ca.Certificate)); // the CA itself is no node or client
        Assert.Equal("node-a", node.Name);
        Assert.True(node.Certificate.NotAfter < Now.AddDays(366).UtcDateTime);
    }

    [Fact]
    public void SelfSignedCertificateNamingTheCa_IsNotTrusted()
    {
        using var ca = ClusterAuthority.Create("formation", Now);
        using var node = ca.IssueCredential("node-a", ClusterAuthority.NodeUnit, [], Now);
        // Same subject as the CA, its own key: a forgery by name only.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new CertificateRequest(ca.Certificate.SubjectName, key, HashAlgorithmName.SHA256);
        forged.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var fakeCa = forged.CreateSelfSigned(Now.AddMinutes(-1), Now.AddYears(1));
        var leaf = new CertificateRequest("CN=node-x", key, HashAlgorithmName.SHA256);
        using var signedByFake = leaf.Create(fakeCa, Now.AddMinutes(-1), Now.AddDays(1), [1, 2, 3]);
        Assert.False(node.Trusts(signedByFake));
    }

    [Fact]
    public void IssueForRequest_CertifiesTheRequestersKey_UnderTheGivenNodeId()
    {
        using var ca = ClusterAuthority.Create("formation", Now);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=admin", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var certificate = ca.IssueForRequest(csr, "node-b", [IPAddress.Parse("10.0.0.2")], Now);
        Assert.Equal("node-b", certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Contains("OU=node", certificate.Subject);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());
        Assert.True(CaPin.IsIssuedBy(certificate, ca.Certificate));
    }

    [Fact]
    public void IssueForRequest_BadOrTamperedCsr_IsRefused()
    {
        using var ca = ClusterAuthority.Create("formation", Now);
        Assert.Throws<CredentialException>(() => ca.IssueForRequest("not a csr", "node-b", [], Now));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        der[^5] ^= 0x40; // inside the signature: no proof of possession any more
        var pem = PemEncoding.WriteString("CERTIFICATE REQUEST", der);
        Assert.Throws<CredentialException>(() => ca.IssueForRequest(pem, "node-b", [], Now));
    }

    [Fact]
    public void SavedCaAndCredential_LoadBack_KeysAreOwnerOnly()
    {
        var files = IdentityDirectory.In(_dir.Path);
        files.Create();
        using var ca = ClusterAuthority.Create("formation", Now);
        ca.Save(files);
        using var admin = ca.IssueCredential("admin", ClusterAuthority.ClientUnit, [], Now);
        admin.Write(files.AdminCredential);

        using var loadedCa = ClusterAuthority.Load(files)!;
        Assert.Equal(ca.Fingerprint, loadedCa.Fingerprint);
        using var loaded = ClusterCredential.Load(files.AdminCredential);
        Assert.Equal("admin", loaded.Name);
        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.True(loaded.Trusts(admin.Certificate));
        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(ownerOnly, File.GetUnixFileMode(files.CaKey));
        Assert.Equal(ownerOnly, File.GetUnixFileMode(files.AdminCredential));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(files.Directory));
    }

    [Fact]
    public void Credential_WithoutKeyOrCa_SaysWhatIsMissing()
    {
        using var ca = ClusterAuthority.Create("formation", Now);
        using var admin = ca.IssueCredential("admin", ClusterAuthority.ClientUnit, [], Now);
        var noKey = admin.Certificate.ExportCertificatePem() + "\n" + ca.Certificate.ExportCertificatePem();
        Assert.Contains("private key", Assert.Throws<CredentialException>(() => ClusterCredential.Parse(noKey, "f")).Message);
        var noCa = admin.ToPem().Replace(ca.Certificate.ExportCertificatePem(), "");
        Assert.Contains("cluster CA certificate", Assert.Throws<CredentialException>(() => ClusterCredential.Parse(noCa, "f")).Message);
        Assert.Contains("cannot read", Assert.Throws<CredentialException>(() => ClusterCredential.Load(Path.Combine(_dir.Path, "missing"))).Message);
    }

    public void Dispose() => _dir.Dispose();
}

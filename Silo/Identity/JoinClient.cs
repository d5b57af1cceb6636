using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Identity;
using Formation.Silo.Platform;

namespace Formation.Silo.Identity;

/// <summary>
/// A new node's side of joining: before it has a certificate it reaches the CA's holder over TLS, accepts that node
/// only when the CA it shows has the token's fingerprint and signed the node's certificate, makes its own key, and
/// sends the token's secret with a CSR. The key never leaves this node.
/// </summary>
public static class JoinClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static async Task<ClusterCredential> JoinAsync(string endpoint, JoinToken token, string nodeId, IReadOnlyList<IPAddress> addresses, CancellationToken cancellationToken)
    {
        if (!Connection.ConnectionSettings.TrySplit(endpoint, out var host, out var port))
        {
            throw new CredentialException($"the join address '{endpoint}' must be HOST:PORT (the CA holder's --join-port, default {Hosting.FormationOptions.DefaultJoinPort}).");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var ct = timeout.Token;
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(host, port, ct);
            X509Certificate2? serverCertificate = null;
            await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
            {
                // Nothing is trusted yet: the certificate is kept and judged against the pinned CA below, before the secret is sent.
                serverCertificate = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return certificate is not null;
            });
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, ct);
            var hello = await JsonLines.ReadAsync(tls, JoinJson.Default.JoinHello, ct);
            using var ca = X509Certificate2.CreateFromPem(hello.CaPem);
            if (CaPin.Fingerprint(ca) != token.CaFingerprint)
            {
                throw new CredentialException(
                    $"the node at {endpoint} belongs to another cluster: its CA's SHA-256 is {CaPin.Fingerprint(ca)}, the token names {token.CaFingerprint}. Nothing was sent.");
            }

            if (!CaPin.IsIssuedBy(serverCertificate, ca))
            {
                throw new CredentialException($"the node at {endpoint} showed the cluster's CA but a certificate that CA did not sign. Nothing was sent.");
            }

            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var csr = new CertificateRequest($"CN={nodeId}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            await JsonLines.WriteAsync(tls, new JoinRequest(token.Secret, nodeId, [.. addresses.Select(a => a.ToString())], csr), JoinJson.Default.JoinRequest, ct);
            var answer = await JsonLines.ReadAsync(tls, JoinJson.Default.JoinAnswer, ct);
            if (answer.CertificatePem is null)
            {
                throw new CredentialException($"the cluster refused to admit node '{nodeId}': {answer.Error}");
            }

            using var certificate = X509Certificate2.CreateFromPem(answer.CertificatePem);
            if (!CaPin.IsIssuedBy(certificate, ca) || !certificate.PublicKey.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new CredentialException($"the node at {endpoint} answered with a certificate that is not for this node's key or not from the cluster's CA.");
            }

            using var withKey = certificate.CopyWithPrivateKey(key);
            return ClusterCredential.From(withKey, ca);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or InvalidDataException or System.Text.Json.JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new CredentialException($"could not join through {endpoint}: {(ex is OperationCanceledException ? $"no answer within {Timeout.TotalSeconds:0} s" : ex.Message)}. " +
                "Check that the node holding the cluster CA runs and that its join port is reachable (--join-address HOST:PORT).");
        }
    }
}

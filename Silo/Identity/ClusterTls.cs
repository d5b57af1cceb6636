using Formation.Identity;
using Orleans.Connections.Security;

namespace Formation.Silo.Identity;

/// <summary>
/// Mutual TLS for a cluster-mode silo (silo-to-silo and the client gateway): it shows its node certificate, requires one
/// from every peer and accepts only certificates the pinned cluster CA signed — never the machine's trust store, never
/// any certificate. A client without a certificate, or with another CA's, is refused in the handshake, before any
/// message reaches a grain.
/// </summary>
public static class ClusterTls
{
    public static ISiloBuilder UseFormationTls(this ISiloBuilder silo, ClusterCredential node) =>
        silo.UseTls(node.Certificate, o => Configure(o, node));

    /// <summary>The same for an Orleans client (tests, benchmarks; form and the dashboard do the same with their own copy).</summary>
    public static IClientBuilder UseFormationTls(this IClientBuilder client, ClusterCredential credential) =>
        client.UseTls(credential.Certificate, o => Configure(o, credential));

    private static void Configure(TlsOptions options, ClusterCredential credential)
    {
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.CheckCertificateRevocation = false;
        options.OnAuthenticateAsClient = (_, tls) => CaPin.PinTls(tls.SslClientAuthenticationOptions, credential.Ca);
        options.OnAuthenticateAsServer = (_, tls) => CaPin.PinTls(tls.SslServerAuthenticationOptions, credential.Ca);
        options.RemoteCertificateValidation = (certificate, _, _) => credential.Trusts(certificate);
    }
}

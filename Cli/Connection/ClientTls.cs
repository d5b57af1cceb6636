using Formation.Identity;
using Orleans.Connections.Security;

namespace Formation.Cli.Connection;

/// <summary>
/// form's side of the cluster's mutual TLS: show the credential's certificate, require the gateway's, and accept it only
/// when the credential's CA signed it (the same rule as the silo's <c>ClusterTls</c>).
/// </summary>
public static class ClientTls
{
    public static void Configure(TlsOptions options, ClusterCredential credential)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.CheckCertificateRevocation = false;
        options.RemoteCertificateValidation = (certificate, _, _) =>
        {
            Trace.Mark("gateway certificate received");
            var trusted = credential.Trusts(certificate);
            Trace.Mark("gateway certificate checked");
            return trusted;
        };
    }
}

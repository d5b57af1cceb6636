using Formation.Identity;
using Orleans.Connections.Security;

namespace Formation.Cli.Connection;

/// <summary>
/// form's side of the cluster's mutual TLS: show the credential's certificate, require the gateway's, and accept it only
/// when the credential's CA signed it (the same rule as the silo's <c>ClusterTls</c>).
/// </summary>
public static class ClientTls
{
    /// <summary>
    /// Points OpenSSL's default trust paths (SSL_CERT_FILE, SSL_CERT_DIR) of this process at nothing. Every X509 chain
    /// .NET builds on Linux — TLS's own check of the gateway's certificate and of our own, even one with custom root
    /// trust — first loads the machine's whole trust store (about 300 certificate files on Debian): 50–200 ms of a form
    /// process that trusts only the pinned cluster CA anyway (<see cref="ClusterCredential.Trusts"/> decides, with the CA
    /// as its only root). Only for a process whose TLS goes to the cluster alone: not with --postgres, whose connection
    /// may rely on the machine's trust store. Must run before the first chain is built; the variables are set natively
    /// because the runtime reads them with getenv.
    /// </summary>
    public static void SkipMachineTrustStore()
    {
        _ = setenv("SSL_CERT_FILE", "/dev/null", 1);
        _ = setenv("SSL_CERT_DIR", "/dev/null", 1);
    }

    [System.Runtime.InteropServices.DllImport("libc", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    private static extern int setenv(string name, string value, int overwrite);

    public static void Configure(TlsOptions options, ClusterCredential credential)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.CheckCertificateRevocation = false;
        options.OnAuthenticateAsClient = (_, tls) => CaPin.PinTls(tls.SslClientAuthenticationOptions, credential.Ca);
        options.RemoteCertificateValidation = (certificate, _, _) =>
        {
            Trace.Mark("gateway certificate received");
            var trusted = credential.Trusts(certificate);
            Trace.Mark("gateway certificate checked");
            return trusted;
        };
    }
}

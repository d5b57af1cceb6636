using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Formation.Identity;
using Formation.Silo.Platform;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.Identity;

/// <summary>
/// The join endpoint of the node that holds the cluster CA: TLS on <c>--join-port</c> (every address, since joining
/// nodes come from other hosts), with this node's certificate. Each connection gets the CA certificate, may send one
/// <see cref="JoinRequest"/> and gets one <see cref="JoinAnswer"/>: a node certificate when its token was unused and
/// unexpired (used atomically in the cluster's database), else the reason. At most a few connections at once, each
/// with a deadline.
/// </summary>
public sealed partial class JoinListener(
    ClusterAuthority authority,
    ClusterCredential node,
    IdentityStore store,
    int port,
    TimeProvider time,
    ILogger<JoinListener> logger) : BackgroundService
{
    public static readonly TimeSpan ConnectionDeadline = TimeSpan.FromSeconds(10);
    private const int MaxConnections = 8;
    private const int MaxAddresses = 8;
    private readonly SemaphoreSlim _slots = new(MaxConnections);
    private TcpListener? _listener;

    public int Port => ((IPEndPoint?)_listener?.LocalEndpoint)?.Port ?? port;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Bound here, not in the loop, so a taken port stops the silo's start with a clear error.
        _listener = new TcpListener(IPAddress.IPv6Any, port);
        _listener.Server.DualMode = true;
        _listener.Start(32);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = _listener!;
        // Beyond its slots a connection is closed at once: a joining node retries by hand; the CA holder's work stays bounded.
        await BoundedAcceptLoop.RunAsync(listener, _slots, ServeAsync, stoppingToken);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stoppingToken)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(ConnectionDeadline);
        var ct = deadline.Token;
        try
        {
            await using var tls = new SslStream(client.GetStream(), false);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = node.Certificate }, ct);
            await JsonLines.WriteAsync(tls, new JoinHello(authority.Certificate.ExportCertificatePem()), JoinJson.Default.JoinHello, ct);
            var request = await JsonLines.ReadAsync(tls, JoinJson.Default.JoinRequest, ct);
            var answer = await AnswerAsync(request, remote, ct);
            await JsonLines.WriteAsync(tls, answer, JoinJson.Default.JoinAnswer, ct);
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException
            or InvalidDataException or System.Text.Json.JsonException or OperationCanceledException)
        {
            LogConnectionFailed(remote, ex.Message);
        }
    }

    private async Task<JoinAnswer> AnswerAsync(JoinRequest request, string remote, CancellationToken ct)
    {
        if (!Names.IsDnsLabel(request.NodeId))
        {
            return new JoinAnswer(null, $"node id '{request.NodeId}' is not valid: use lower-case letters, digits and '-'.");
        }

        var addresses = new List<IPAddress>();
        foreach (var text in (request.Addresses ?? []).Take(MaxAddresses))
        {
            if (!IPAddress.TryParse(text, out var address))
            {
                return new JoinAnswer(null, $"'{text}' is not an IP address.");
            }

            addresses.Add(address);
        }

        var now = time.GetUtcNow();
        X509Certificate2 certificate;
        try
        {
            // Checked before the token is used, so a malformed request does not spend it.
            certificate = authority.IssueForRequest(request.CsrPem ?? "", request.NodeId, addresses, now);
        }
        catch (CredentialException ex)
        {
            return new JoinAnswer(null, ex.Message);
        }

        using (certificate)
        {
            var use = await store.UseTokenAsync(JoinToken.HashOf(request.Secret ?? ""), request.NodeId, now, ct);
            if (use.Outcome != JoinTokenOutcome.Accepted)
            {
                LogRefused(request.NodeId, remote, use.Outcome);
                return new JoinAnswer(null, use.Refusal);
            }

            LogAdmitted(request.NodeId, remote, certificate.SerialNumber);
            return new JoinAnswer(certificate.ExportCertificatePem(), null);
        }
    }

    public override void Dispose()
    {
        _listener?.Stop();
        _slots.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} joined the cluster from {Remote} (certificate serial {Serial})")]
    private partial void LogAdmitted(string nodeId, string remote, string serial);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused node {NodeId} from {Remote}: join token {Outcome}")]
    private partial void LogRefused(string nodeId, string remote, JoinTokenOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Join connection from {Remote} ended early: {Reason}")]
    private partial void LogConnectionFailed(string remote, string reason);
}

using Formation.Edge;
using Formation.Vms;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The body of <c>PUT /v1/services/{name}</c>: what <c>form deploy</c> sends after its build. Shape fields left out take
/// the image's VCPU, MEM and DISK; <see cref="Replicas"/> left out keeps the current count (1 for a new service);
/// <see cref="Health"/> left out takes the image's HEALTHCHECK (none when it has none).
/// </summary>
public sealed record DeployServiceRequest(
    string Image,
    int? Replicas = null,
    int? VCpus = null,
    long? MemoryMiB = null,
    long? DiskGiB = null,
    string? Node = null,
    RestartPolicy Restart = RestartPolicy.OnFailure,
    bool NoEgress = false,
    IReadOnlyList<string>? Publish = null,
    Formation.Services.HealthCheck? Health = null);

/// <summary>The body of <c>POST /v1/services/{name}/scale</c>.</summary>
public sealed record ScaleServiceRequest(int Replicas);

/// <summary>The body of <c>POST /v1/routes</c>: <c>form route add</c>'s fields; TLS from PEM text or self-signed.</summary>
public sealed record AddRouteRequest(
    string Host, string Service, int Port, bool SelfSigned = false, string? CertificatePem = null, string? KeyPem = null, string? Balance = null)
{
    /// <summary>The <c>balance</c> field (<c>round-robin</c>, the default, or <c>least-requests</c>).</summary>
    public EdgeBalance BalancePolicy => Balance is null ? EdgeBalance.RoundRobin : EdgeRouteRules.ParseBalance(Balance);

    public EdgeTlsRequest? Tls => SelfSigned || CertificatePem is not null || KeyPem is not null
        ? new EdgeTlsRequest(CertificatePem, KeyPem, SelfSigned)
        : null;
}

/// <summary>The body of <c>POST /v1/routes/tcp</c>: <c>form route add --tcp</c>'s fields.</summary>
public sealed record AddTcpRouteRequest(int ListenPort, string Service, int Port, string? Balance = null)
{
    /// <summary>The <c>balance</c> field (<c>round-robin</c>, the default, or <c>least-requests</c>).</summary>
    public EdgeBalance BalancePolicy => Balance is null ? EdgeBalance.RoundRobin : EdgeRouteRules.ParseBalance(Balance);
}

using System.Text.Json.Serialization;

namespace Formation.Silo.Identity;

/// <summary>The CA holder's first line on a join connection: the CA certificate, which the joiner checks against its token's pin.</summary>
public sealed record JoinHello(string CaPem);

/// <summary>The joiner's request: the token's secret, its node id and addresses, and a CSR for the key it made.</summary>
public sealed record JoinRequest(string Secret, string NodeId, IReadOnlyList<string> Addresses, string CsrPem);

/// <summary>The answer: the node certificate, or why there is none.</summary>
public sealed record JoinAnswer(string? CertificatePem, string? Error);

[JsonSerializable(typeof(JoinHello))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinAnswer))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class JoinJson : JsonSerializerContext;

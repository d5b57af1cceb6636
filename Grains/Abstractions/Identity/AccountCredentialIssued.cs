namespace Formation.Identity;

/// <summary>The certificate the cluster CA signed for an account's new key (the key itself never left the client).</summary>
[GenerateSerializer, Immutable]
[Alias("formation.account-credential-issued")]
public sealed record AccountCredentialIssued(
    [property: Id(0)] string CertificatePem,
    [property: Id(1)] string CaPem);

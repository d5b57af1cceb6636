using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Formation.Silo.Identity;

/// <summary>
/// A one-time join token, <c>fj1.SECRET.CA-SHA256</c>: the secret (32 random bytes, base64url) is what the cluster
/// checks, kept there only as its SHA-256 (<see cref="Hash"/>); the CA fingerprint lets the joining node recognise the
/// cluster before it trusts anything it says (as kubeadm's discovery-token-ca-cert-hash does).
/// </summary>
public sealed partial record JoinToken(string Secret, string CaFingerprint)
{
    private const string Prefix = "fj1";

    /// <summary>A new token for the cluster whose CA has <paramref name="caFingerprint"/>.</summary>
    public static JoinToken New(string caFingerprint) =>
        new(Base64Url(RandomNumberGenerator.GetBytes(32)), caFingerprint);

    /// <summary>What the cluster stores and looks the token up by.</summary>
    public string Hash => HashOf(Secret);

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)));

    public override string ToString() => $"{Prefix}.{Secret}.{CaFingerprint}";

    /// <summary>Parses a token; false with a message saying what is wrong with it.</summary>
    public static bool TryParse(string? text, out JoinToken token, out string error)
    {
        token = new JoinToken("", "");
        var match = Shape().Match(text?.Trim() ?? "");
        if (!match.Success)
        {
            error = "a join token looks like fj1.<43 characters>.<64 hex digits>: copy the whole line `form node token create` printed.";
            return false;
        }

        token = new JoinToken(match.Groups["secret"].Value, match.Groups["pin"].Value.ToLowerInvariant());
        error = "";
        return true;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex(@"^fj1\.(?<secret>[A-Za-z0-9_-]{43})\.(?<pin>[0-9a-fA-F]{64})$")]
    private static partial Regex Shape();
}

using System.Security.Cryptography;
using System.Text;

namespace Formation.Silo.Pack;

/// <summary>SHA-256 helpers for layer keys, content digests and image digests.</summary>
internal static class PackDigest
{
    /// <summary>Length of layer/artifact cache keys used as directory names (128 bits of SHA-256).</summary>
    public const int KeyLength = 32;

    /// <summary>Chains a key: SHA-256 over the parts, each length-prefixed so boundaries cannot be confused.</summary>
    public static string Key(params string[] parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..KeyLength];
    }

    public static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>SHA-256 of a file's contents as 64 hex characters.</summary>
    public static async Task<string> FileHexAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    public static string Format(string hex) => "sha256:" + hex;

    /// <summary>The 64-hex part of "sha256:hex" or of a bare hex string; null if it is neither.</summary>
    public static string? ParseHex(string digest)
    {
        var hex = digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[7..] : digest;
        return hex.Length == 64 && hex.All(char.IsAsciiHexDigitLower) ? hex : null;
    }
}

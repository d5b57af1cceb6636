using System.Text.RegularExpressions;
using Formation.Errors;

namespace Formation.Images;

/// <summary>
/// How users name images. A reference is <c>name[:tag]</c>: the name is 1–63 letters, digits, '.', '_' or '-'
/// starting with a letter or digit, stored in lower case; the tag is 1–64 letters, digits, '.', '_' or '-'
/// (default <see cref="DefaultTag"/>). The canonical form is always <c>name:tag</c> (<c>hello</c> → <c>hello:latest</c>).
/// <para>
/// Digests resolve too: <c>sha256:&lt;hex&gt;</c> (full or a prefix of at least <see cref="MinimumDigestPrefix"/> hex
/// digits) always means a digest; bare hex of 64 digits is a digest; bare hex of 12–63 digits means the image named so
/// if one exists, otherwise a digest prefix. A digest resolves to the reference(s) whose current version has it.
/// </para>
/// </summary>
public static partial class ImageReference
{
    public const string DefaultTag = "latest";

    public const int MinimumDigestPrefix = 12;

    public const string DigestScheme = "sha256:";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex TagPattern();

    /// <summary><c>name:tag</c> for a valid reference, or null (and <paramref name="problem"/>) for an invalid one.</summary>
    public static string? TryNormalize(string? reference, out string problem)
    {
        problem = "";
        if (string.IsNullOrWhiteSpace(reference))
        {
            problem = "the image reference is empty: use NAME or NAME:TAG, for example hello:1.0";
            return null;
        }

        var value = reference.Trim();
        if (value.StartsWith(DigestScheme, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"'{value}' is a digest; a digest names what was built, it cannot be used as a name";
            return null;
        }

        var colon = value.IndexOf(':');
        var name = (colon < 0 ? value : value[..colon]).ToLowerInvariant();
        var tag = colon < 0 ? DefaultTag : value[(colon + 1)..];
        if (colon < 0 && name.Length == 64 && IsHex(name))
        {
            problem = $"'{name}' is a digest; a digest cannot be used as a name";
            return null;
        }

        if (!NamePattern().IsMatch(name))
        {
            problem = $"image name '{name}' is not valid: use 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit";
            return null;
        }

        if (!TagPattern().IsMatch(tag))
        {
            problem = $"image tag '{tag}' is not valid: use 1–64 letters, digits, '.', '_' or '-' (for example {name}:1.0)";
            return null;
        }

        return $"{name}:{tag}";
    }

    /// <summary><c>name:tag</c>; an InvalidArgument error saying what is wrong otherwise.</summary>
    public static string Normalize(string? reference) =>
        TryNormalize(reference, out var problem) ?? throw FormationException.Invalid(problem + ".");

    /// <summary>True when <paramref name="reference"/> is already canonical (<c>name:tag</c>).</summary>
    public static bool IsCanonical(string reference) => TryNormalize(reference, out _) == reference;

    /// <summary>
    /// The lower-case hex digits of a digest or digest prefix (<c>sha256:…</c> or bare hex of 12–64 digits), or null.
    /// <paramref name="explicitDigest"/> is true when the value can only be a digest (scheme or 64 digits).
    /// </summary>
    public static string? DigestHex(string? value, out bool explicitDigest)
    {
        explicitDigest = false;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        var scheme = text.StartsWith(DigestScheme, StringComparison.OrdinalIgnoreCase);
        var hex = (scheme ? text[DigestScheme.Length..] : text).ToLowerInvariant();
        if (hex.Length is < MinimumDigestPrefix or > 64 || !IsHex(hex))
        {
            return null;
        }

        explicitDigest = scheme || hex.Length == 64;
        return hex;
    }

    /// <summary>True when <paramref name="digest"/> (<c>sha256:&lt;64 hex&gt;</c>) starts with the hex prefix.</summary>
    public static bool DigestMatches(string? digest, string hexPrefix) =>
        digest is not null && digest.StartsWith(DigestScheme, StringComparison.Ordinal) &&
        digest.AsSpan(DigestScheme.Length).StartsWith(hexPrefix, StringComparison.Ordinal);

    /// <summary>The first 12 hex digits of a digest, as lists show it.</summary>
    public static string Short(string? digest) =>
        digest is null ? "-" : digest.StartsWith(DigestScheme, StringComparison.Ordinal) && digest.Length >= DigestScheme.Length + 12
            ? digest.Substring(DigestScheme.Length, 12)
            : digest;

    private static bool IsHex(string value) => value.All(char.IsAsciiHexDigitLower);
}

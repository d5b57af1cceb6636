using System.Text.RegularExpressions;
using Formation.Errors;

namespace Formation;

/// <summary>Rules for the names and ids users type. VM names and node ids are DNS labels.</summary>
public static partial class Names
{
    public const int MaxLength = 63;

    /// <summary>True for a lower-case DNS label: a-z, 0-9 and '-', not starting or ending with '-'.</summary>
    public static bool IsDnsLabel(string? value) => value is { Length: > 0 and <= MaxLength } && DnsLabel().IsMatch(value);

    /// <summary>Throws an InvalidArgument error naming <paramref name="what"/> unless the value is a DNS label.</summary>
    public static string RequireDnsLabel(string? value, string what)
    {
        if (!IsDnsLabel(value))
        {
            throw FormationException.Invalid(DnsLabelProblem(value, what));
        }

        return value!;
    }

    /// <summary>What is wrong with a value that is not a DNS label, naming <paramref name="what"/>.</summary>
    public static string DnsLabelProblem(string? value, string what) =>
        $"{what} '{value}' is not valid: use 1–{MaxLength} lower-case letters, digits and '-', " +
        "starting and ending with a letter or digit (for example 'web-1').";

    /// <summary>Turns a host name into a usable node id (lower case, invalid characters replaced by '-').</summary>
    public static string NodeIdFromHostName(string hostName)
    {
        var chars = hostName.ToLowerInvariant().Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-').ToArray();
        var id = new string(chars).Trim('-');
        if (id.Length > MaxLength)
        {
            id = id[..MaxLength].TrimEnd('-');
        }

        return id.Length == 0 ? "node" : id;
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();
}

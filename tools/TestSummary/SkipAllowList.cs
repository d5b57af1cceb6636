namespace Formation.TestSummary;

/// <summary>
/// The skip reasons CI accepts: one prefix per line of a text file (blank lines and lines starting with # are
/// comments). A skip whose reason starts with none of them fails a CI run.
/// </summary>
public sealed class SkipAllowList
{
    private SkipAllowList(IReadOnlyList<string> prefixes) => Prefixes = prefixes;

    public IReadOnlyList<string> Prefixes { get; }

    public static SkipAllowList Parse(string text) =>
        new(text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToList());

    public static SkipAllowList Load(string path) => Parse(File.ReadAllText(path));

    public bool Allows(string? reason) =>
        reason is not null && Prefixes.Any(prefix => reason.StartsWith(prefix, StringComparison.Ordinal));
}

using System.Text;
using System.Text.RegularExpressions;

namespace Formation.Cli.Context;

/// <summary>
/// The rules of a <c>.formignore</c> file in the context directory: paths left out of the build context. One pattern
/// per line; <c>#</c> starts a comment; <c>!</c> re-includes; a trailing <c>/</c> matches directories only; a pattern
/// with a <c>/</c> (other than a trailing one) is anchored at the context root, one without matches a name at any
/// depth; <c>*</c> and <c>?</c> match within a path segment, <c>**</c> any number of segments. The last matching
/// pattern wins; an excluded directory is not descended into.
/// </summary>
public sealed class FormIgnore
{
    public const string FileName = ".formignore";

    private readonly List<Rule> _rules = [];

    private FormIgnore()
    {
    }

    public static FormIgnore Empty { get; } = new();

    public int Count => _rules.Count;

    /// <summary>Reads <c>DIR/.formignore</c>, or returns the empty rule set when there is none.</summary>
    public static FormIgnore Load(string contextDirectory)
    {
        var path = Path.Combine(contextDirectory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : Empty;
    }

    public static FormIgnore Parse(string text)
    {
        var ignore = new FormIgnore();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var negate = line.StartsWith('!');
            if (negate)
            {
                line = line[1..];
            }

            var directoryOnly = line.EndsWith('/');
            line = line.TrimEnd('/');
            var anchored = line.Contains('/');
            line = line.TrimStart('/');
            if (line.Length == 0)
            {
                continue;
            }

            ignore._rules.Add(new Rule(new Regex(ToRegex(line, anchored), RegexOptions.CultureInvariant), negate, directoryOnly));
        }

        return ignore;
    }

    /// <summary>True when the context-relative path (with '/' separators) is left out.</summary>
    public bool IsExcluded(string relativePath, bool isDirectory)
    {
        var excluded = false;
        foreach (var rule in _rules)
        {
            if ((!rule.DirectoryOnly || isDirectory) && rule.Pattern.IsMatch(relativePath))
            {
                excluded = !rule.Negate;
            }
        }

        return excluded;
    }

    private static string ToRegex(string pattern, bool anchored)
    {
        var regex = new StringBuilder(anchored ? "^" : "^(?:.*/)?");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return regex.Append('$').ToString();
    }

    private sealed record Rule(Regex Pattern, bool Negate, bool DirectoryOnly);
}

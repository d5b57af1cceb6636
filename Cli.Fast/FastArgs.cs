namespace Formation.Cli.Fast;

/// <summary>
/// A command line the front end answers itself: <c>form vm create</c> or <c>form vm delete</c> in the plain form
/// automation writes (space-separated option values, each option at most once, nothing the local API cannot do).
/// <see cref="Parse"/> returns null for everything else (help, parse errors, <c>--json</c>, clones, other commands...),
/// and the full CLI gets the command line unchanged: it alone decides what a mistake says, so both agree by construction.
/// </summary>
public sealed record FastArgs(string Verb, IReadOnlyDictionary<string, string> Values, IReadOnlySet<string> Flags, string? Target)
{
    public const string Create = "create";
    public const string Delete = "delete";

    /// <summary>Options every command takes (recursive in the full CLI), with a value.</summary>
    private static readonly HashSet<string> GlobalOptions = ["--gateway", "--postgres", "--cluster-id", "--credential"];

    /// <summary>The create options the front end handles, with a value; --disk and the rest keep the full CLI's defaults.</summary>
    private static readonly HashSet<string> CreateOptions = ["--name", "--vcpus", "--memory", "--disk", "--node", "--image", "--request-id"];

    /// <summary>Options whose value the full CLI reads as a number: only plain digits are taken here.</summary>
    private static readonly HashSet<string> Numbers = ["--vcpus", "--memory", "--disk"];

    public string? Value(string option) => Values.GetValueOrDefault(option);

    public static FastArgs? Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var words = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var token = args[i];
            if (!token.StartsWith('-'))
            {
                if (token.StartsWith('@') || token.Length == 0)
                {
                    return null; // a response file, or an empty word: the full CLI's rules
                }

                words.Add(token);
                continue;
            }

            var verb = words.Count >= 2 ? words[1] : null;
            var takesValue = GlobalOptions.Contains(token) || (verb == Create && words.Count == 2 && CreateOptions.Contains(token));
            if (takesValue)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith('-') || !values.TryAdd(token, args[i + 1]))
                {
                    return null; // a missing value or a repeated option: the full CLI says what is wrong
                }

                if (Numbers.Contains(token) && !IsPlainNumber(args[i + 1]))
                {
                    return null;
                }

                i++;
            }
            else if (token == "--no-wait" && verb == Create && words.Count == 2)
            {
                // A bool option takes an optional true/false; the full CLI handles that spelling.
                if (!flags.Add(token) || (i + 1 < args.Count && args[i + 1].ToLowerInvariant() is "true" or "false"))
                {
                    return null;
                }
            }
            else
            {
                return null; // --help, --json, --publish, --name=x, -p ...
            }
        }

        return words switch
        {
            ["vm", Create] when values.ContainsKey("--name") && values.ContainsKey("--vcpus") && values.ContainsKey("--memory") =>
                new FastArgs(Create, values, flags, null),
            ["vm", Delete, var target] => new FastArgs(Delete, values, flags, target),
            _ => null,
        };
    }

    private static bool IsPlainNumber(string text) => text.Length is > 0 and <= 9 && text.All(char.IsAsciiDigit);
}

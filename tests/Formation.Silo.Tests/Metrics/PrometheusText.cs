using System.Globalization;
using System.Text;

namespace Formation.Silo.Tests.Metrics;

/// <summary>One sample line: metric name, labels, value and optional timestamp (ms).</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, long? Timestamp);

/// <summary>A metric family: its TYPE (untyped when none was given), HELP, and its samples in order.</summary>
public sealed record PrometheusFamily(string Name, string Type, string? Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4), written from its specification: a
/// violation is a <see cref="FormatException"/> naming the line, never a guess. It checks metric and label name syntax,
/// label-value and HELP escapes, Go float values (NaN, ±Inf), optional integer timestamps, one TYPE and one HELP per
/// family and TYPE before the family's first sample, families in one group each, histogram/summary suffixes, no reserved
/// or repeated label names, no duplicate series, and the newline that ends the last line.
/// </summary>
public static class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static IReadOnlyDictionary<string, PrometheusFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("the exposition does not end with a newline.");
        }

        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helps = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new Dictionary<string, List<PrometheusSample>>(StringComparer.Ordinal);
        var order = new List<string>();
        var closed = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length - 1; n++)
        {
            var line = lines[n];
            var where = $"line {n + 1}";
            if (line.Contains('\r'))
            {
                throw new FormatException($"{where}: carriage return; lines end with \\n only.");
            }

            if (line.Trim().Length == 0)
            {
                continue;
            }

            string? family;
            if (line.StartsWith('#'))
            {
                family = Metadata(line, where, types, helps, samples);
                if (family is null)
                {
                    continue; // a plain comment
                }
            }
            else
            {
                var sample = Sample(line, where);
                family = FamilyOf(sample.Name, types);
                var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
                if (!series.Add(key))
                {
                    throw new FormatException($"{where}: series {key} appears twice.");
                }

                if (!samples.TryGetValue(family, out var list))
                {
                    samples[family] = list = [];
                }

                list.Add(sample);
            }

            if (family != current)
            {
                if (current is not null)
                {
                    closed.Add(current);
                }

                if (closed.Contains(family))
                {
                    throw new FormatException($"{where}: metric family {family} continues after another family began (a family is one group of lines).");
                }

                if (!order.Contains(family))
                {
                    order.Add(family);
                }

                current = family;
            }
        }

        return order.ToDictionary(f => f, f => new PrometheusFamily(f, types.GetValueOrDefault(f, "untyped"), helps.GetValueOrDefault(f),
            samples.TryGetValue(f, out var s) ? s : []), StringComparer.Ordinal);
    }

    private static string? Metadata(string line, string where, Dictionary<string, string> types, Dictionary<string, string> helps,
        Dictionary<string, List<PrometheusSample>> samples)
    {
        var parts = line.Split(' ', 4);
        if (parts.Length < 3 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE"))
        {
            return null;
        }

        var name = parts[2];
        if (!IsMetricName(name))
        {
            throw new FormatException($"{where}: '{name}' is not a metric name.");
        }

        if (parts[1] == "TYPE")
        {
            var type = parts.Length == 4 ? parts[3] : "";
            if (!Types.Contains(type))
            {
                throw new FormatException($"{where}: TYPE '{type}' of {name} is not one of {string.Join(", ", Types)}.");
            }

            if (!types.TryAdd(name, type))
            {
                throw new FormatException($"{where}: a second TYPE line for {name}.");
            }

            if (samples.ContainsKey(name))
            {
                throw new FormatException($"{where}: TYPE of {name} after its first sample.");
            }
        }
        else if (!helps.TryAdd(name, Unescape(parts.Length == 4 ? parts[3] : "", where, quotes: false)))
        {
            throw new FormatException($"{where}: a second HELP line for {name}.");
        }

        return name;
    }

    private static PrometheusSample Sample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        var name = line[..i];
        if (!IsMetricName(name))
        {
            throw new FormatException($"{where}: '{line}' does not start with a metric name.");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }

                var start = i;
                while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_'))
                {
                    i++;
                }

                var label = line[start..i];
                if (!IsLabelName(label) || label.StartsWith("__", StringComparison.Ordinal))
                {
                    throw new FormatException($"{where}: '{label}' is not a label name (or is reserved).");
                }

                if (i + 1 >= line.Length || line[i] != '=' || line[i + 1] != '"')
                {
                    throw new FormatException($"{where}: label {label} is not followed by =\"value\".");
                }

                i += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new FormatException($"{where}: the value of label {label} is not closed.");
                    }

                    if (line[i] == '\\')
                    {
                        value.Append(i + 1 < line.Length ? line[i + 1] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var c => throw new FormatException($"{where}: escape \\{c} in label {label}; only \\\\, \\\" and \\n exist."),
                        } : throw new FormatException($"{where}: the value of label {label} ends in a backslash."));
                        i += 2;
                        continue;
                    }

                    if (line[i] == '"')
                    {
                        i++;
                        break;
                    }

                    value.Append(line[i++]);
                }

                if (!labels.TryAdd(label, value.ToString()))
                {
                    throw new FormatException($"{where}: label {label} appears twice.");
                }

                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
                else if (i >= line.Length || line[i] != '}')
                {
                    throw new FormatException($"{where}: expected ',' or '}}' after label {label}.");
                }
            }
        }

        if (i >= line.Length || line[i] is not (' ' or '\t'))
        {
            throw new FormatException($"{where}: no value after {name}.");
        }

        var rest = line[i..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2)
        {
            throw new FormatException($"{where}: expected a value and at most a timestamp, got '{line[i..].Trim()}'.");
        }

        long? timestamp = null;
        if (rest.Length == 2)
        {
            timestamp = long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t) ? t
                : throw new FormatException($"{where}: timestamp '{rest[1]}' is not an integer.");
        }

        return new PrometheusSample(name, labels, Value(rest[0], where), timestamp);
    }

    private static double Value(string text, string where) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ when text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.')
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => throw new FormatException($"{where}: '{text}' is not a sample value."),
    };

    private static string FamilyOf(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name))
        {
            return name;
        }

        foreach (var (suffix, kinds) in new[] { ("_bucket", new[] { "histogram" }), ("_sum", ["histogram", "summary"]), ("_count", ["histogram", "summary"]) })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var type) && kinds.Contains(type))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }

    private static string Unescape(string text, string where, bool quotes)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                sb.Append(text[i]);
                continue;
            }

            if (i + 1 >= text.Length || text[i + 1] is not ('\\' or 'n') && !(quotes && text[i + 1] == '"'))
            {
                throw new FormatException($"{where}: bad escape in HELP text.");
            }

            sb.Append(text[++i] == 'n' ? '\n' : text[i]);
        }

        return sb.ToString();
    }

    private static bool IsMetricName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    private static bool IsLabelName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

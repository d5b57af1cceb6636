using System.Text.RegularExpressions;
using Formation.Silo.Platform;

namespace Formation.Silo.Tests.Dns;

/// <summary>Debian's <c>dig</c> (dnsutils), run as a process; its answer read from the text it prints.</summary>
public sealed partial record Dig(string Status, IReadOnlyList<string> Answers, IReadOnlyList<string> Authority, string Flags, string Output)
{
    /// <summary>Runs <c>dig @server -p port name type</c> (plus <paramref name="extra"/>), optionally inside a network namespace.</summary>
    public static async Task<Dig> QueryAsync(string server, int port, string name, string type = "A", string? netns = null, params string[] extra)
    {
        Prerequisites.RequireFile("/usr/bin/dig", "dnsutils");
        List<string> args = [.. netns is null ? [] : new[] { "netns", "exec", netns, "dig" }, $"@{server}", "-p", port.ToString(), name, type,
            "+tries=1", "+time=3", "+nocookie", .. extra];
        var result = await ProcessRunner.RunAsync(netns is null ? "dig" : "ip", args, null, 200, TimeSpan.FromSeconds(20), CancellationToken.None);
        var output = string.Join('\n', result.OutputTail);
        return Parse(output);
    }

    public static Dig Parse(string output)
    {
        var status = StatusLine().Match(output) is { Success: true } m ? m.Groups[1].Value : "(no answer)";
        var flags = FlagsLine().Match(output) is { Success: true } f ? f.Groups[1].Value.Trim() : "";
        return new Dig(status, Section(output, "ANSWER"), Section(output, "AUTHORITY"), flags, output);
    }

    /// <summary>The record lines of one section, each as "name ttl class type data" with single spaces.</summary>
    private static List<string> Section(string output, string name)
    {
        var lines = new List<string>();
        var inside = false;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith($";; {name} SECTION:", StringComparison.Ordinal))
            {
                inside = true;
                continue;
            }

            if (inside)
            {
                if (line.Trim().Length == 0 || line.StartsWith(";;", StringComparison.Ordinal))
                {
                    break;
                }

                lines.Add(Whitespace().Replace(line.Trim(), " "));
            }
        }

        return lines;
    }

    [GeneratedRegex(@"status: ([A-Z]+)")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@";; flags:([^;]*);")]
    private static partial Regex FlagsLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

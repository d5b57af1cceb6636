namespace Formation.Formfiles;

/// <summary>
/// Splits Formfile text into logical lines: skips blank lines and <c>#</c> comments, joins lines that end with
/// <c>\</c> (optionally followed by spaces) to the next non-comment line.
/// </summary>
internal static class FormfileLexer
{
    public static List<LogicalLine> Split(string text, Action<FormfileLocation, string, string> danglingContinuation)
    {
        var result = new List<LogicalLine>();
        var lines = text.Split('\n');
        var i = 0;
        while (i < lines.Length)
        {
            var first = StripCarriageReturn(lines[i]);
            if (IsBlankOrComment(first))
            {
                i++;
                continue;
            }

            var builder = new System.Text.StringBuilder();
            var segments = new List<LogicalLine.Segment>();
            while (true)
            {
                var content = StripCarriageReturn(lines[i]);
                var backslash = ContinuationIndex(content);
                segments.Add(new LogicalLine.Segment(builder.Length, i + 1, 1));
                builder.Append(backslash >= 0 ? content.AsSpan(0, backslash) : content);
                var lineNumber = i + 1;
                i++;
                if (backslash < 0)
                {
                    break;
                }

                while (i < lines.Length && IsComment(StripCarriageReturn(lines[i])))
                {
                    i++;
                }

                if (i >= lines.Length)
                {
                    danglingContinuation(
                        new FormfileLocation(lineNumber, backslash + 1),
                        "line continuation '\\' at the end of the file",
                        "remove the trailing '\\' or add the line it should continue with");
                    break;
                }
            }

            result.Add(new LogicalLine(builder.ToString(), segments));
        }

        return result;
    }

    /// <summary>Index of a trailing continuation backslash (only spaces/tabs may follow it), or -1.</summary>
    private static int ContinuationIndex(string line)
    {
        var end = line.Length - 1;
        while (end >= 0 && (line[end] == ' ' || line[end] == '\t'))
        {
            end--;
        }

        return end >= 0 && line[end] == '\\' ? end : -1;
    }

    private static string StripCarriageReturn(string line) => line.EndsWith('\r') ? line[..^1] : line;

    private static bool IsBlankOrComment(string line) => string.IsNullOrWhiteSpace(line) || IsComment(line);

    private static bool IsComment(string line) => line.TrimStart().StartsWith('#');
}

namespace Formation.Formfiles;

/// <summary>
/// Splits directive arguments on whitespace. Double or single quotes group (also mid-token, as in
/// <c>key:"a b"</c>) and are removed; inside double quotes <c>\"</c> and <c>\\</c> are escapes.
/// </summary>
internal static class ArgumentTokenizer
{
    /// <summary>Tokenizes <paramref name="text"/> from <paramref name="start"/>; returns false with the
    /// position of an unterminated quote.</summary>
    public static bool TryTokenize(string text, int start, out List<ArgumentToken> tokens, out int errorIndex)
    {
        tokens = [];
        errorIndex = -1;
        var i = start;
        var value = new System.Text.StringBuilder();
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                break;
            }

            var tokenStart = i;
            var quoted = false;
            value.Clear();
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                var c = text[i];
                if (c is '"' or '\'')
                {
                    quoted = true;
                    var close = ReadQuoted(text, i, value);
                    if (close < 0)
                    {
                        errorIndex = i;
                        return false;
                    }

                    i = close + 1;
                    continue;
                }

                value.Append(c);
                i++;
            }

            tokens.Add(new ArgumentToken(value.ToString(), tokenStart, quoted));
        }

        return true;
    }

    /// <summary>Appends the quoted text starting at <paramref name="open"/>; returns the closing quote's index or -1.</summary>
    private static int ReadQuoted(string text, int open, System.Text.StringBuilder value)
    {
        var quote = text[open];
        var i = open + 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == quote)
            {
                return i;
            }

            if (quote == '"' && c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
            {
                value.Append(text[i + 1]);
                i += 2;
                continue;
            }

            value.Append(c);
            i++;
        }

        return -1;
    }
}

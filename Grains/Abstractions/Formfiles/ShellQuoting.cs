namespace Formation.Formfiles;

/// <summary>POSIX shell quoting for generated scripts and canonical step text.</summary>
public static class ShellQuoting
{
    /// <summary>Quotes <paramref name="value"/> so <c>sh</c> reads it back as one word, unchanged.</summary>
    public static string Quote(string value)
    {
        if (value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '=' or ':' or ',' or '+' or '@'))
        {
            return value;
        }

        return "'" + value.Replace("'", "'\\''") + "'";
    }
}

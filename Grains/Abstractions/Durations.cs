using System.Globalization;

namespace Formation;

/// <summary>Durations as people type them: <c>500ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, <c>7d</c>, <c>1.5s</c>, or a bare number of seconds.</summary>
public static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var value = text.Trim().ToLowerInvariant();
        var (digits, scale) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => (value[..^2], 0.001),
            _ when value.EndsWith('s') => (value[..^1], 1.0),
            _ when value.EndsWith('m') => (value[..^1], 60.0),
            _ when value.EndsWith('h') => (value[..^1], 3600.0),
            _ when value.EndsWith('d') => (value[..^1], 86400.0),
            _ => (value, 1.0),
        };
        if (digits.Length is 0 or > 12 || !double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(number * scale);
        return true;
    }
}

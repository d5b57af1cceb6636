namespace Formation.Formfiles;

/// <summary>
/// One directive's text after joining <c>\</c> continuations, with a map from each character back to its
/// physical line and column so diagnostics point at the exact source position.
/// </summary>
internal sealed class LogicalLine
{
    private readonly List<Segment> _segments;

    public LogicalLine(string text, List<Segment> segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The joined text (continuation backslashes and newlines removed).</summary>
    public string Text { get; }

    /// <summary>Physical line where the directive starts.</summary>
    public int FirstLine => _segments[0].Line;

    /// <summary>1-based physical line and column of character <paramref name="index"/> (clamped to the text).</summary>
    public FormfileLocation PositionOf(int index)
    {
        if (index < 0)
        {
            index = 0;
        }

        var segment = _segments[0];
        foreach (var candidate in _segments)
        {
            if (candidate.Start > index)
            {
                break;
            }

            segment = candidate;
        }

        return new FormfileLocation(segment.Line, segment.Column + (index - segment.Start));
    }

    /// <summary>A physical line's slice of the logical text: its start index, line number and first column.</summary>
    internal readonly record struct Segment(int Start, int Line, int Column);
}

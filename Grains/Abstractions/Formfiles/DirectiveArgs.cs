namespace Formation.Formfiles;

/// <summary>A directive's arguments: the logical line, where the keyword is, and where its arguments start.</summary>
internal readonly record struct DirectiveArgs(LogicalLine Line, string Directive, string Keyword, FormfileLocation At, int Start)
{
    /// <summary>The raw argument text (trailing whitespace removed).</summary>
    public string Raw => Line.Text[Start..].TrimEnd();

    /// <summary>Source position of character <paramref name="index"/> of the logical line.</summary>
    public FormfileLocation PositionOf(int index) => Line.PositionOf(index);
}

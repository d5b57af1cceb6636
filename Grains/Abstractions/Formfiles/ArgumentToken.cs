namespace Formation.Formfiles;

/// <summary>A whitespace-separated argument with quotes removed, and where it starts in its logical line.</summary>
internal readonly record struct ArgumentToken(string Value, int Start, bool Quoted);

namespace Formation.Formfiles;

/// <summary>
/// A build step in Formfile order: <c>RUN</c>, <c>COPY</c>, <c>INSTALL</c>, <c>USER</c>, <c>ENV</c>, <c>WORKDIR</c>.
/// Each step's <see cref="Text"/> is canonical: the builder keys its layer cache on it.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileInstruction")]
public abstract record FormfileInstruction([property: Id(0)] FormfileLocation Location)
{
    /// <summary>The directive keyword (<c>RUN</c>, <c>COPY</c>, ...).</summary>
    public abstract string Directive { get; }

    /// <summary>Canonical one-line text (secrets such as passwords are replaced by their digest).</summary>
    public abstract string Text { get; }

    public sealed override string ToString() => Text;
}

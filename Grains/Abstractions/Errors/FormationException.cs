namespace Formation.Errors;

/// <summary>
/// The one error type Formation sends across the wire. <see cref="Kind"/> says what kind of failure it is,
/// the message says what was wrong and what to do. Clients map kinds to exit codes; they never show stack traces.
/// </summary>
[GenerateSerializer]
[Alias("formation.error")]
public sealed class FormationException : Exception
{
    public FormationException(ErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    public FormationException(ErrorKind kind, string message, Exception inner)
        : base(message, inner)
    {
        Kind = kind;
    }

    [Id(0)]
    public ErrorKind Kind { get; }

    public static FormationException NotFound(string message) => new(ErrorKind.NotFound, message);

    public static FormationException Invalid(string message) => new(ErrorKind.InvalidArgument, message);

    public static FormationException Conflict(string message) => new(ErrorKind.Conflict, message);
}

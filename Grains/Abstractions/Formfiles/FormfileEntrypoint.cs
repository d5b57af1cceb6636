using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary>
/// The service the guest starts at boot. JSON form (<c>["python3", "app.py"]</c>) runs <see cref="Arguments"/>
/// directly; shell form (<c>python3 app.py &gt; log</c>) runs <c>/bin/sh -c</c> with the single argument.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileEntrypoint")]
public sealed record FormfileEntrypoint(
    [property: Id(0)] ImmutableArray<string> Arguments,
    [property: Id(1)] bool ShellForm)
{
    /// <summary>The argv the guest executes.</summary>
    public IReadOnlyList<string> Argv => ShellForm ? ["/bin/sh", "-c", Arguments[0]] : Arguments;

    public override string ToString() => ShellForm ? Arguments[0] : string.Join(' ', Arguments);
}

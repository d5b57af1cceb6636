namespace Formation.Vms;

/// <summary>
/// One thing wrong with a <see cref="VmSpec"/>: the field, and what is wrong with it. <see cref="Detail"/> reads after the
/// field's name ("must be between 1 and 128 (got 0)."); <see cref="ForCli"/> names the flag, <see cref="ForForm"/> the label,
/// <see cref="ForApi"/> the HTTP API's field.
/// </summary>
public sealed record VmSpecProblem(VmSpecField Field, string Detail, string? FullMessage = null)
{
    /// <summary>The message as <c>form vm create</c> prints it.</summary>
    public string ForCli => FullMessage ?? $"{Field.Flag} {Detail}";

    /// <summary>The message under the field of the dashboard's create dialog.</summary>
    public string ForForm => FullMessage ?? $"{Field.Label} {Detail}";

    /// <summary>
    /// The message an HTTP API client gets: the JSON field's name where the CLI's names the flag (a full message that
    /// starts with the flag, as the port-publish ones do, has it replaced).
    /// </summary>
    public string ForApi => FullMessage switch
    {
        null => $"{Field.Api} {Detail}",
        var m when m.StartsWith(Field.Flag, StringComparison.Ordinal) && m.Length > Field.Flag.Length && m[Field.Flag.Length] is ' ' or ':'
            => Field.Api + m[Field.Flag.Length..],
        var m => m,
    };
}

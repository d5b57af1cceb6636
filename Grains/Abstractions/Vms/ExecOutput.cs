namespace Formation.Vms;

/// <summary>
/// What an exec session produced since the last read: output bytes, and once the command has ended and every byte of
/// its output was read, its <see cref="Result"/> (the session is then over).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.exec-output")]
public sealed record ExecOutput(
    [property: Id(0)] byte[] Stdout,
    [property: Id(1)] byte[] Stderr,
    [property: Id(2)] ExecResult? Result);

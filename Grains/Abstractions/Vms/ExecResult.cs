namespace Formation.Vms;

/// <summary>
/// How an exec session ended. <see cref="ExitCode"/> follows the shell's rules: the command's status, 128 + the signal
/// that killed it, 127 when the command was not found, 126 when it could not be executed; <see cref="Error"/> says why
/// when the command never ran or the session broke (the agent went away, a protocol error).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.exec-result")]
public sealed record ExecResult(
    [property: Id(0)] int ExitCode,
    [property: Id(1)] int Signal = 0,
    [property: Id(2)] string? Error = null);

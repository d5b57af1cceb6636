namespace Formation.Vms;

/// <summary>
/// A command to run in a VM's guest (<c>form vm exec</c>): argv as given (no shell unless it asks for one), extra
/// environment (<c>NAME=value</c>), working directory and user (name or uid; default: the agent's, root), a pty
/// (<see cref="Tty"/>, with its window size) or pipes, and whether stdin follows (<see cref="Stdin"/>).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.exec-request")]
public sealed record ExecRequest(
    [property: Id(0)] IReadOnlyList<string> Command,
    [property: Id(1)] IReadOnlyList<string>? Environment = null,
    [property: Id(2)] string? WorkingDirectory = null,
    [property: Id(3)] string? User = null,
    [property: Id(4)] bool Tty = false,
    [property: Id(5)] bool Stdin = false,
    [property: Id(6)] int Rows = 0,
    [property: Id(7)] int Columns = 0)
{
    /// <summary>What is wrong with the request (null when nothing is), saying what to do.</summary>
    public string? Problem()
    {
        if (Command.Count == 0 || string.IsNullOrEmpty(Command[0]))
        {
            return "no command given: put it after '--', e.g. form vm exec web -- ls -l /";
        }

        if (Command.Any(a => a.Contains('\0')) || (Environment ?? []).Any(e => e.Contains('\0')))
        {
            return "the command and environment may not contain NUL characters.";
        }

        if ((Environment ?? []).FirstOrDefault(e => e.IndexOf('=') <= 0) is { } bad)
        {
            return $"environment entry '{bad}' is not NAME=value.";
        }

        if (Rows is < 0 or > ushort.MaxValue || Columns is < 0 or > ushort.MaxValue)
        {
            return $"window size {Rows}x{Columns} is out of range.";
        }

        return null;
    }
}

using Formation.Errors;
using Formation.Vms;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The body of <c>POST /v1/vms/{vm}/exec</c>: <c>form vm exec</c> without a terminal. The command runs to its end (or
/// <see cref="TimeoutSeconds"/>, default 60, at most 3600: exit code 124); <see cref="Stdin"/>, when given, is its
/// standard input, then closed.
/// </summary>
public sealed record ExecVmRequest(
    IReadOnlyList<string> Command,
    IReadOnlyList<string>? Environment = null,
    string? WorkingDirectory = null,
    string? User = null,
    string? Stdin = null,
    double? TimeoutSeconds = null)
{
    public const double DefaultTimeoutSeconds = 60;
    public const double MaxTimeoutSeconds = 3600;

    /// <summary>The grain's request, checked; a bad field is an InvalidArgument error naming it.</summary>
    public ExecRequest ToRequest()
    {
        if (Command is not [{ Length: > 0 }, ..])
        {
            throw FormationException.Invalid("command: give the program and its arguments as a list, e.g. [\"ls\", \"-l\", \"/\"].");
        }

        var request = new ExecRequest(Command, Environment, WorkingDirectory, User);
        if (request.Problem() is { } problem)
        {
            throw FormationException.Invalid($"command: {problem}");
        }

        if (TimeoutSeconds is { } t && (double.IsNaN(t) || t <= 0 || t > MaxTimeoutSeconds))
        {
            throw FormationException.Invalid($"timeoutSeconds: must be more than 0 and at most {MaxTimeoutSeconds} (got {t}).");
        }

        return request;
    }

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds ?? DefaultTimeoutSeconds);
}

/// <summary>
/// The answer of <c>POST /v1/vms/{vm}/exec</c>: the exit code (the shell's rules: 128 + signal, 127 not found, 126 not
/// executable, 124 timed out), why when it never ran or was ended, and its output as UTF-8 text (at most 1 MiB of each
/// stream; <see cref="Truncated"/> says more was dropped).
/// </summary>
public sealed record ExecVmResponse(int ExitCode, int Signal, string? Error, string Stdout, string Stderr, bool Truncated)
{
    public const int MaxOutputBytes = 1 << 20;

    public static ExecVmResponse From(ExecCompleted run) => new(run.Result.ExitCode, run.Result.Signal, run.Result.Error,
        System.Text.Encoding.UTF8.GetString(run.Stdout), System.Text.Encoding.UTF8.GetString(run.Stderr), run.Truncated);
}

using Formation.Cli.Output;
using Formation.Testing;

namespace Formation.Cli.Tests;

/// <summary>One run of <c>form</c>: exit code and what it printed.</summary>
public sealed record FormRun(int ExitCode, string Out, string Error)
{
    /// <summary>Runs the CLI in this process, through the same entry point as the executable.</summary>
    public static Task<FormRun> InProcessAsync(params string[] args) => InProcessAsync(useLocalApi: true, args);

    /// <summary>Runs the CLI in this process; <paramref name="useLocalApi"/> false makes read commands use the Orleans gateway.</summary>
    public static async Task<FormRun> InProcessAsync(bool useLocalApi, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // A generous connect timeout: a loaded test machine can take longer than the 5 s users get.
        var app = new FormApp(new Terminal(stdout, stderr)) { ConnectTimeout = TimeSpan.FromSeconds(30), UseLocalApi = useLocalApi };
        // An embedded silo started by the tests admits only its own admin credential (root's form finds it by itself).
        if (SiloProcess.AdminCredentialForCommand(args) is { } credential)
        {
            args = SiloProcess.WithOptions(args, "--credential", credential);
        }

        var code = await app.InvokeAsync(args);
        return new FormRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the real <c>form</c> executable (the CLI project's build, see <see cref="FormProcess"/>) as a child process.</summary>
    public static async Task<FormRun> ProcessAsync(params string[] args)
    {
        var run = await FormProcess.RunAsync(args);
        return new FormRun(run.ExitCode, run.Out, run.Error);
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

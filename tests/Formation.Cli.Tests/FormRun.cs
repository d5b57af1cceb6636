using System.Diagnostics;
using Formation.Cli.Output;

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
        var code = await app.InvokeAsync(args);
        return new FormRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the real <c>form</c> executable (dotnet form.dll) as a child process.</summary>
    public static async Task<FormRun> ProcessAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "form.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("FORMATION_GATEWAY");
        info.Environment.Remove("FORMATION_POSTGRES");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new FormRun(process.ExitCode, await stdout, await stderr);
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

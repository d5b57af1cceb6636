using System.Diagnostics;

namespace Formation.Testing;

/// <summary>
/// The real <c>form</c> CLI as a child process: <c>$FORM_BIN</c> (an executable, or a .dll run by dotnet) or the CLI
/// project's own build output (same configuration as the caller). Not the form.dll copied next to a test assembly: a
/// test project that also references the silo runs on the ASP.NET Core shared framework, so the Microsoft.Extensions
/// assemblies form needs are not copied there. Returns what it printed, its exit code and its wall time.
/// </summary>
public static class FormProcess
{
    public sealed record Result(int ExitCode, string Out, string Error, TimeSpan Elapsed)
    {
        public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalMilliseconds:0} ms\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }

    /// <summary>form.dll of the CLI project's build output, in the caller's configuration: .../bin/CONFIG/TFM/ → Cli/bin/CONFIG/TFM/form.dll.</summary>
    public static string Dll
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory);
            return Path.Combine(RepositoryPaths.Root, "Cli", "bin", tfm.Parent!.Name, tfm.Name, "form.dll");
        }
    }

    /// <summary>
    /// form-fast.dll of the Cli.Fast project's build output, same configuration: the front end's JIT build, the same
    /// source NativeAOT compiles (scripts/lib/common.sh publishes that into artifacts/form).
    /// </summary>
    public static string FastDll
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory);
            return Path.Combine(RepositoryPaths.Root, "Cli.Fast", "bin", tfm.Parent!.Name, tfm.Name, "form-fast.dll");
        }
    }

    /// <summary>How the CLI is started, for reports: the command before the arguments.</summary>
    public static string Describe() => string.Join(' ', Command());

    public static Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default) =>
        RunAsync(Command(), args, environment, cancellationToken);

    /// <summary>Runs <paramref name="command"/> (an executable and its first arguments, e.g. dotnet and a dll) with <paramref name="args"/>.</summary>
    public static async Task<Result> RunAsync(
        IReadOnlyList<string> command, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var process = Start(command, args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var elapsed = clock.Elapsed;
        return new Result(process.ExitCode, await stdout, await stderr, elapsed);
    }

    /// <summary>Starts <c>form</c> with stdout and stderr redirected, for commands that run until they are stopped (<c>--follow</c>).</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        Start(Command(), args, environment);

    private static Process Start(IReadOnlyList<string> command, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1).Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("FORMATION_GATEWAY");
        info.Environment.Remove("FORMATION_POSTGRES");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        SiloProcess.GiveAdminCredential(info, args, environment);

        return Process.Start(info)!;
    }

    /// <summary>$FORM_BIN as a command (an executable, or dotnet and a .dll), else dotnet and <see cref="Dll"/>.</summary>
    public static string[] Command()
    {
        var bin = Environment.GetEnvironmentVariable("FORM_BIN");
        if (string.IsNullOrEmpty(bin))
        {
            return ["dotnet", Dll];
        }

        return bin.EndsWith(".dll", StringComparison.Ordinal) ? ["dotnet", bin] : [bin];
    }
}

using System.Diagnostics;
using System.Text;

namespace Formation.Cli.Tests.Pack;

/// <summary>The real <c>form</c> executable as a child process that the test can signal (Ctrl-C, SIGTERM).</summary>
internal static class FormProcess
{
    public const int SigTerm = 15;

    /// <summary>
    /// Starts form, sends <paramref name="signal"/> once stdout has a line containing <paramref name="marker"/>, and waits
    /// for it to exit. A run that could not connect (exit code 2, a loaded machine) is tried again, up to three times.
    /// </summary>
    public static async Task<FormRun> RunUntilAsync(string[] args, string marker, int signal, TimeSpan timeout)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (run, signalled) = await RunOnceAsync(args, marker, signal, timeout);
            if (signalled || run.ExitCode != Cli.ExitCodes.NoSilo || attempt == 3)
            {
                Assert.True(signalled, $"form exited before printing '{marker}':\n{run}");
                return run;
            }
        }
    }

    private static async Task<(FormRun Run, bool Signalled)> RunOnceAsync(string[] args, string marker, int signal, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Formation.Testing.FormProcess.Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        Formation.Testing.SiloProcess.GiveAdminCredential(info, args);

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stdout)
            {
                stdout.AppendLine(e.Data);
            }

            if (e.Data.Contains(marker, StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            var exited = process.WaitForExitAsync(deadline.Token);
            if (await Task.WhenAny(seen.Task, exited) == seen.Task)
            {
                using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
                {
                    await kill.WaitForExitAsync(deadline.Token);
                    Assert.Equal(0, kill.ExitCode);
                }

                await process.WaitForExitAsync(deadline.Token);
            }

            await exited;
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            Assert.Fail($"form did not {(seen.Task.IsCompleted ? "exit after the signal" : $"print '{marker}'")} within {timeout}:\n{stdout}\n{stderr}");
        }

        process.WaitForExit();
        return (new FormRun(process.ExitCode, stdout.ToString(), stderr.ToString()), seen.Task.IsCompleted);
    }
}

using System.Diagnostics;
using System.Text;

namespace Formation.Cli.Tests.Pack;

/// <summary>The real <c>form</c> executable as a child process that the test can signal (Ctrl-C, SIGTERM).</summary>
internal static class FormProcess
{
    public const int SigTerm = 15;

    /// <summary>Starts form, sends <paramref name="signal"/> once stdout has a line containing <paramref name="marker"/>, and waits for it to exit.</summary>
    public static async Task<FormRun> RunUntilAsync(string[] args, string marker, int signal, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "form.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

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
        try
        {
            await seen.Task.WaitAsync(timeout);
            using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
                Assert.Equal(0, kill.ExitCode);
            }

            using var cts = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            process.Kill();
            Assert.Fail($"form did not {(seen.Task.IsCompleted ? "exit after the signal" : $"print '{marker}'")}:\n{stdout}\n{stderr}");
        }

        process.WaitForExit();
        return new FormRun(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}

using System.Diagnostics;

namespace Formation.Silo.Platform;

/// <summary>
/// Runs a helper process (mmdebstrap, unshare, mkfs, ...): streams stdout and stderr lines to a callback, keeps the
/// last lines, optionally feeds stdin, and kills the process tree it started on cancellation or timeout.
/// </summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        Action<string>? onLine,
        int tailLines,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null,
        Func<Stream, CancellationToken, Task>? writeStdin = null,
        string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = writeStdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "/",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            startInfo.Environment.Clear();
            foreach (var (key, value) in environment)
            {
                startInfo.Environment[key] = value;
            }
        }

        var tail = new Queue<string>();
        var gate = new object();
        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                tail.Enqueue(line);
                while (tail.Count > tailLines)
                {
                    tail.Dequeue();
                }

                onLine?.Invoke(line);
            }
        }

        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"cannot start '{fileName}': {ex.Message}; is it installed (see scripts/apt-packages.txt)?", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            if (writeStdin is not null)
            {
                try
                {
                    await writeStdin(process.StandardInput.BaseStream, timeoutSource.Token);
                }
                catch (IOException)
                {
                    // The process stopped reading (it failed early); its exit code tells why.
                }
                finally
                {
                    try
                    {
                        process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                    }
                }
            }

            await process.WaitForExitAsync(timeoutSource.Token);
            process.WaitForExit(); // flush the asynchronous output readers
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            lock (gate)
            {
                return new ProcessResult(-1, [.. tail, $"(killed after {timeout.TotalSeconds:0} s)"], TimedOut: true);
            }
        }

        lock (gate)
        {
            return new ProcessResult(process.ExitCode, [.. tail], TimedOut: false);
        }
    }

    /// <summary>Runs a short command and returns its trimmed stdout, or throws with its output on failure.</summary>
    public static async Task<string> CaptureAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var result = await RunAsync(fileName, arguments, lines.Add, 50, TimeSpan.FromMinutes(2), cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' failed with exit code {result.ExitCode}: {string.Join(" | ", result.OutputTail)}");
        }

        return string.Join('\n', lines).Trim();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}

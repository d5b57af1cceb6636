using System.Diagnostics;
using System.Text;

namespace Formation.Bench.Vmm;

/// <summary>Starts a VMM process, watches its console for the /init line and the marker, samples its memory.</summary>
internal static class Runner
{
    public const string InitLine = "Run /init as init process";

    /// <param name="consoleFile">Console log file to poll, or null to read the process's stdout.</param>
    /// <param name="guestMiB">Guest RAM size, to find its mapping in smaps (null: do not sample memory).</param>
    /// <param name="saveStdout">Where to save the captured stdout (consoleFile null only), or null.</param>
    public static async Task<BootRun> RunAsync(string name, ProcessStartInfo psi, string? consoleFile, int? guestMiB, TimeSpan timeout, string? saveStdout = null)
    {
        psi.RedirectStandardOutput = consoleFile is null;
        psi.RedirectStandardError = true;
        var console = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        double? init = null, marker = null;
        long? overhead = null, rss = null;
        var stdout = consoleFile is null ? PumpAsync(process.StandardOutput, console) : Task.CompletedTask;
        _ = process.StandardError.ReadToEndAsync();
        while (!process.HasExited && watch.Elapsed < timeout)
        {
            await Task.Delay(50);
            string text;
            if (consoleFile is not null)
            {
                text = File.Exists(consoleFile) ? ReadShared(consoleFile) : "";
            }
            else
            {
                lock (console)
                {
                    text = console.ToString();
                }
            }

            init ??= text.Contains(InitLine, StringComparison.Ordinal) ? watch.Elapsed.TotalSeconds : null;
            marker ??= text.Contains(Initramfs.Marker + "\n", StringComparison.Ordinal) || text.Contains(Initramfs.Marker + "\r", StringComparison.Ordinal)
                ? watch.Elapsed.TotalSeconds
                : null;
            if (guestMiB is { } mib && marker is not null && overhead is null && Memory.Sample(process.Id, mib) is { } sample)
            {
                (rss, overhead) = sample;
            }
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync();
        await stdout;
        if (saveStdout is not null)
        {
            File.WriteAllText(saveStdout, console.ToString());
        }

        return new BootRun(name, init, marker, watch.Elapsed.TotalSeconds, overhead, rss);
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, n);
            }
        }
    }

    private static string ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}

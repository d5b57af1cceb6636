using System.Diagnostics;
using System.Text;
using Formation.Testing;

namespace Formation.Dashboard.Tests.Browser;

/// <summary>A real formation-dashboard process on a free loopback port, pointed at a gateway; waits until it serves.</summary>
public sealed class DashboardProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DashboardProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<DashboardProcess> StartAsync(string gateway)
    {
        var url = $"http://127.0.0.1:{FreePorts.Next()}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Executable());
        info.ArgumentList.Add("--gateway");
        info.ArgumentList.Add(gateway);
        info.ArgumentList.Add("--listen");
        info.ArgumentList.Add(url);
        // An embedded silo started by the tests admits only its own credential (as root's dashboard would find it).
        if (int.TryParse(gateway[(gateway.LastIndexOf(':') + 1)..], out var port) && SiloProcess.AdminCredentialFor(port) is { } credential)
        {
            info.ArgumentList.Add("--credential");
            info.ArgumentList.Add(credential);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var dashboard = new DashboardProcess(process, url);
        process.OutputDataReceived += (_, e) => dashboard.Append(e.Data);
        process.ErrorDataReceived += (_, e) => dashboard.Append(e.Data);
        process.Exited += (_, _) => dashboard._serving.TrySetException(new InvalidOperationException($"formation-dashboard exited:\n{dashboard.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await dashboard._serving.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return dashboard;
    }

    /// <summary>
    /// The dashboard as the build left it in Dashboard/bin (with its static web assets manifest and xterm files), the same
    /// configuration as this test assembly.
    /// </summary>
    public static string Executable() => BuildOutputs.Of("Dashboard", "formation-dashboard.dll");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains("formation-dashboard: serving", StringComparison.Ordinal))
        {
            _serving.TrySetResult();
        }
    }
}

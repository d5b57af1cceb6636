using System.Diagnostics;
using System.Text;

namespace Formation.Testing;

/// <summary>
/// A real formation-silo process, started from the test's output directory, on its own ports and data directory.
/// Waits until the silo prints that it is up; keeps its output for failure messages.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process, SiloProcessOptions options)
    {
        _process = process;
        Options = options;
    }

    public SiloProcessOptions Options { get; }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> AdminCredentials = new();

    /// <summary>
    /// The admin credential of the embedded-mode silo started here on gateway <paramref name="port"/>, or null. Silos
    /// refuse clients without a credential of their own CA; <see cref="FormProcess"/> and the tests' cluster clients use
    /// this one when a test names none (cluster-mode tests name theirs, as an operator would).
    /// </summary>
    public static string? AdminCredentialFor(int port) => AdminCredentials.TryGetValue(port, out var path) && File.Exists(path) ? path : null;

    /// <summary>
    /// The admin credential of an embedded silo a <c>form</c> command names (in its --gateway list, else
    /// FORMATION_GATEWAY, else the default), when the command gives no credential itself (--credential, or
    /// FORMATION_CREDENTIAL in <paramref name="environment"/>).
    /// </summary>
    public static string? AdminCredentialForCommand(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var list = args.ToList();
        if (list.Contains("--credential") || environment?.ContainsKey("FORMATION_CREDENTIAL") == true)
        {
            return null;
        }

        var at = list.IndexOf("--gateway");
        var gateway = at >= 0 && at + 1 < list.Count ? list[at + 1] : environment?.GetValueOrDefault("FORMATION_GATEWAY") ?? "127.0.0.1:30000";
        foreach (var one in gateway.Split(','))
        {
            var colon = one.LastIndexOf(':');
            if (colon > 0 && int.TryParse(one[(colon + 1)..], out var port) && AdminCredentialFor(port) is { } credential)
            {
                return credential;
            }
        }

        return null;
    }

    /// <summary>
    /// Gives a <c>form</c> process the admin credential of the embedded test silo its command line names (see
    /// <see cref="AdminCredentialForCommand"/>), through FORMATION_CREDENTIAL, so it works whatever follows a <c>--</c>.
    /// </summary>
    public static void GiveAdminCredential(ProcessStartInfo info, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (AdminCredentialForCommand(args, environment) is { } credential)
        {
            info.Environment["FORMATION_CREDENTIAL"] = credential;
        }
    }

    /// <summary><paramref name="args"/> with <paramref name="extra"/> added before a <c>--</c> (whatever follows it is a guest's command), else at the end.</summary>
    public static string[] WithOptions(IReadOnlyList<string> args, params string[] extra)
    {
        var dash = args.ToList().IndexOf("--");
        return dash < 0 ? [.. args, .. extra] : [.. args.Take(dash), .. extra, .. args.Skip(dash)];
    }

    public string Gateway => $"127.0.0.1:{Options.GatewayPort}";

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit status once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

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

    /// <summary>
    /// Waits until the silo's output satisfies <paramref name="condition"/>. A silo logs through a queue and its
    /// stdout reaches us through a pipe, so a line about something the silo has already answered for may still be
    /// on its way: read what it printed this way, never straight after a reply.
    /// </summary>
    public async Task WaitForOutputAsync(Func<string, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(Output))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"formation-silo {Options.NodeId} never printed {what}:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public static async Task<SiloProcess> StartAsync(SiloProcessOptions options, TimeSpan? timeout = null)
    {
        var exe = options.Executable ?? Path.Combine(AppContext.BaseDirectory, "formation-silo.dll");
        var info = new ProcessStartInfo(options.Wrapper.Count > 0 ? options.Wrapper[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (options.Wrapper.Count > 0)
        {
            foreach (var part in options.Wrapper.Skip(1))
            {
                info.ArgumentList.Add(part);
            }

            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(exe);
        foreach (var arg in options.Arguments())
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in options.Environment)
        {
            info.Environment[key] = value;
        }

        if (options.Mode == "embedded")
        {
            AdminCredentials[options.GatewayPort] = Path.Combine(options.DataDirectory, "identity", "admin.credential");
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, options);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        // Exited can be raised before the output readers have delivered the last lines (the reason the silo gave):
        // WaitForExit() without a timeout also waits for both redirected streams to reach their end.
        process.Exited += (_, _) => _ = Task.Run(() =>
        {
            process.WaitForExit();
            silo._up.TrySetException(new InvalidOperationException($"formation-silo exited with {SafeExitCode(process)}:\n{silo.Output}"));
        });
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await silo._up.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            await silo.KillAsync();
            throw new TimeoutException($"formation-silo {options.NodeId} did not come up:\n{silo.Output}");
        }

        return silo;
    }

    /// <summary>SIGKILL: the silo gets no chance to say goodbye.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM and wait: a clean shutdown.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = kill(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"formation-silo {Options.NodeId} did not stop on SIGTERM:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

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

        if (line.Contains("is up", StringComparison.Ordinal))
        {
            _up.TrySetResult();
        }
    }

    private static string SafeExitCode(Process p)
    {
        try
        {
            return p.ExitCode.ToString();
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}

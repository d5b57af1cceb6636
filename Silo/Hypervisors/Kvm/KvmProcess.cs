using System.Net.Sockets;
using Formation.Silo.Platform;
using Formation.Vmm.Protocol;

namespace Formation.Silo.Hypervisors.Kvm;

/// <summary>One running formation-vmm, driven over its control socket. Its end is learned from a pending <c>wait</c>.</summary>
public sealed class KvmProcess : IVmProcess
{
    private readonly VmDirectory _directory;
    private readonly TaskCompletionSource<VmExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _consoleGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Action? _released;
    private Socket? _console;

    public KvmProcess(int pid, VmDirectory directory, Action? released = null)
    {
        Pid = pid;
        _directory = directory;
        _released = released;
        _ = WatchAsync();
    }

    public int Pid { get; }

    public Task<VmExit> Exited => _exited.Task;

    public async Task<bool> IsPausedAsync(CancellationToken cancellationToken) =>
        (await SendAsync(new InfoRequest(), cancellationToken)).State == MachineState.Paused;

    public Task PauseAsync(CancellationToken cancellationToken) => SendAsync(new PauseRequest(), cancellationToken);

    public Task ResumeAsync(CancellationToken cancellationToken) => SendAsync(new ResumeRequest(), cancellationToken);

    public async Task<VmExit> ShutdownAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (await IsPausedAsync(cancellationToken))
        {
            await ResumeAsync(cancellationToken);
        }

        var request = new ShutdownRequest { TimeoutSeconds = Math.Clamp(Math.Floor(deadline.TotalSeconds), 1, ShutdownRequest.MaxTimeoutSeconds) };
        try
        {
            await SendAsync(request, cancellationToken);
        }
        catch (IOException)
        {
            // The VMM ended while answering; the watcher reports how.
        }

        return await Exited.WaitAsync(deadline + TimeSpan.FromSeconds(15), cancellationToken);
    }

    public Task<VmExit> KillAsync(CancellationToken cancellationToken)
    {
        return VmProcessHelpers.KillAsync(Pid, Exited, ct => SendAsync(new KillRequest(), ct), cancellationToken);
    }

    public async Task WriteConsoleAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _consoleGate.WaitAsync(cancellationToken);
        try
        {
            if (_console is not { Connected: true })
            {
                _console?.Dispose();
                _console = await VmmControlClient.OpenConsoleAsync(_directory.ControlSocket, cancellationToken);
                _ = VmProcessHelpers.DrainAsync(_console);
            }

            await _console.SendAsync(data, SocketFlags.None, cancellationToken);
        }
        finally
        {
            _consoleGate.Release();
        }
    }

    /// <summary>A vsock connection to the agent's port through formation-vmm's hybrid vsock socket; any number at once.</summary>
    public async Task<Stream> OpenAgentAsync(CancellationToken cancellationToken)
    {
        const int port = Formation.Agent.AgentProtocol.VsockPort;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(AgentConnectTimeout);
        try
        {
            return await HybridVsock.ConnectAsync(_directory.VsockSocket, port, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"formation-vmm did not answer CONNECT {port} within {AgentConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (IOException ex)
        {
            throw new IOException(
                $"{ex.Message}. A VM started before Formation had exec has no vsock device (restart it); an image built before it has no guest agent (rebuild it and recreate the VM).",
                ex);
        }
    }

    /// <summary>How long formation-vmm may take to answer CONNECT (the guest has to accept).</summary>
    public static TimeSpan AgentConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// formation-vmm's <c>snapshot</c>: the paused VM's memory file and machine state go into <paramref name="directory"/>.
    /// The jailed VMM (the VM's uid) cannot walk the path to a directory of root's, so it writes into a fresh folder of its
    /// working directory (<see cref="VmDirectory.SnapshotStaging"/>, its own), named as <c>/proc/self/cwd/…</c>, which does
    /// not check the folders above; the silo then moves the files into <paramref name="directory"/> and makes them root's,
    /// so no VM can change a snapshot later (a restored VM maps its memory file).
    /// </summary>
    public async Task SnapshotAsync(string directory, CancellationToken cancellationToken)
    {
        var staging = Path.GetFullPath(_directory.SnapshotStaging);
        if (new DirectoryInfo($"/proc/{Pid}/cwd").LinkTarget != staging)
        {
            throw new InvalidOperationException(
                $"VM {_directory.VmId} was started before formation-vmm could write snapshots (its VMM has no staging directory); stop and start it, then snapshot it again.");
        }

        var name = "snapshot-" + Guid.NewGuid().ToString("N")[..12];
        var work = Path.Combine(staging, name);
        Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (VmJail.RecordedUid(_directory) is { } uid)
        {
            HostOwnership.Chown(work, uid, uid);
        }

        try
        {
            var result = await SendAsync(new SnapshotRequest("/proc/self/cwd/" + name), cancellationToken);
            if (result.MemoryBytes <= 0)
            {
                throw new IOException($"formation-vmm reported an empty snapshot of VM {_directory.VmId}");
            }

            foreach (var file in Directory.EnumerateFiles(work))
            {
                var target = Path.Combine(directory, Path.GetFileName(file));
                File.Move(file, target);
                HostOwnership.Chown(target, 0, 0);
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // left for the next launch's clean-up (KvmDriver empties the staging directory)
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _console?.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task<TResult> SendAsync<TResult>(VmmRequest<TResult> request, CancellationToken cancellationToken) =>
        VmmControlClient.SendAsync(_directory.ControlSocket, request, cancellationToken);

    /// <summary>Holds a <c>wait</c> request open; its answer (or the connection dropping) is the VM's end.</summary>
    private async Task WatchAsync()
    {
        VmExit? exit;
        string? lost = null;
        try
        {
            exit = Map(await SendAsync(new WaitRequest(), _closing.Token));
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
        {
            exit = null;
            lost = ex.Message;
        }

        await ProcessInfo.WaitForExitAsync(Pid, TimeSpan.FromSeconds(10), CancellationToken.None);
        if (exit is null)
        {
            // It died without answering: its waiter shell records the status (a signal's too) just after it ends.
            var statusFile = _directory.File(KvmDriver.ExitStatusFile);
            for (var i = 0; i < 40 && !File.Exists(statusFile); i++)
            {
                await Task.Delay(50, CancellationToken.None);
            }

            exit = Describe(File.Exists(statusFile) ? File.ReadAllText(statusFile).Trim() : null, lost!);
        }

        _released?.Invoke();
        _exited.TrySetResult(exit);
    }

    /// <summary>
    /// How a formation-vmm that ended without answering its <c>wait</c> ended, from the status its waiter recorded
    /// (<paramref name="status"/>: the exit status, or 128 + the signal; null when there is none).
    /// </summary>
    internal static VmExit Describe(string? status, string connectionError)
    {
        if (!int.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            return new VmExit(VmExitKind.Crash, $"formation-vmm ended without reporting why ({connectionError})");
        }

        return code switch
        {
            128 + 31 => new VmExit(VmExitKind.Crash,
                "formation-vmm was killed by SIGSYS: it made a system call outside its seccomp allow-list (the kernel's audit log names the call)"),
            128 + 9 => new VmExit(VmExitKind.Crash,
                "formation-vmm was killed by SIGKILL (by the kernel's OOM killer if it went past its cgroup's memory.max, or by someone on the host)"),
            > 128 and < 128 + 65 => new VmExit(VmExitKind.Crash, $"formation-vmm was killed by signal {code - 128}"),
            _ when Enum.IsDefined((ExitReason)code) => Map(ExitResult.For((ExitReason)code, "formation-vmm ended without answering its control socket")),
            _ => new VmExit(VmExitKind.Crash, $"formation-vmm exited with status {code} without reporting why"),
        };
    }

    /// <summary>How the VM ended, in the silo's terms.</summary>
    internal static VmExit Map(ExitResult result)
    {
        var text = string.IsNullOrWhiteSpace(result.Detail) ? result.ExitReason.ToString() : $"{result.ExitReason}: {result.Detail}";
        return result.ExitReason switch
        {
            ExitReason.PowerOff => new VmExit(VmExitKind.PowerOff, "the guest powered off"),
            ExitReason.Reset => new VmExit(VmExitKind.Reboot, "the guest rebooted"),
            ExitReason.Killed or ExitReason.ShutdownTimeout => new VmExit(VmExitKind.Killed, text),
            _ => new VmExit(VmExitKind.Crash, $"the VM stopped: {text}"),
        };
    }
}

using System.Net.Sockets;
using System.Text.Json.Nodes;
using Formation.Silo.Platform;

namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>One running QEMU, driven over QMP. Its end is seen when QMP closes and the pid is gone.</summary>
public sealed partial class QemuProcess : IVmProcess
{
    private readonly QmpClient _qmp;
    private readonly VmDirectory _directory;
    private readonly TaskCompletionSource<VmExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _consoleGate = new(1, 1);
    private readonly SemaphoreSlim _agentGate = new(1, 1);
    private Socket? _console;
    private string? _shutdownReason;
    private volatile bool _killRequested;

    private readonly Action? _released;
    private readonly ConsoleLogTrimmer? _trimmer;

    public QemuProcess(int pid, QmpClient qmp, VmDirectory directory, Action? released = null, ConsoleLogTrimmer? trimmer = null)
    {
        _released = released;
        _trimmer = trimmer;
        Pid = pid;
        _qmp = qmp;
        _directory = directory;
        _ = WatchAsync();
    }

    public int Pid { get; }

    public Task<VmExit> Exited => _exited.Task;

    public async Task<bool> IsPausedAsync(CancellationToken cancellationToken)
    {
        var status = await _qmp.ExecuteAsync("query-status", null, cancellationToken);
        return status?["running"]?.GetValue<bool>() == false;
    }

    public Task PauseAsync(CancellationToken cancellationToken) => _qmp.ExecuteAsync("stop", null, cancellationToken);

    public Task ResumeAsync(CancellationToken cancellationToken) => _qmp.ExecuteAsync("cont", null, cancellationToken);

    public async Task<VmExit> ShutdownAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (await IsPausedAsync(cancellationToken))
        {
            await ResumeAsync(cancellationToken); // a paused guest cannot react to Ctrl-Alt-Del
        }

        var keys = new JsonArray(Key("ctrl"), Key("alt"), Key("delete"));
        await _qmp.ExecuteAsync("send-key", new JsonObject { ["keys"] = keys }, cancellationToken);
        var finished = await Task.WhenAny(Exited, Task.Delay(deadline, cancellationToken));
        return finished == Exited ? await Exited : await KillAsync(cancellationToken);
    }

    public Task<VmExit> KillAsync(CancellationToken cancellationToken)
    {
        _killRequested = true;
        return VmProcessHelpers.KillAsync(Pid, Exited, ct => _qmp.ExecuteAsync("quit", null, ct), cancellationToken);
    }

    public async Task WriteConsoleAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _consoleGate.WaitAsync(cancellationToken);
        try
        {
            if (_console is not { Connected: true })
            {
                _console?.Dispose();
                _console = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await _console.ConnectAsync(new UnixDomainSocketEndPoint(_directory.ConsoleSocket), cancellationToken);
                _ = VmProcessHelpers.DrainAsync(_console); // output is read from the log file; keep the socket from filling up
            }

            await _console.SendAsync(data, SocketFlags.None, cancellationToken);
        }
        finally
        {
            _consoleGate.Release();
        }
    }

    /// <summary>
    /// Connects to the agent's virtio-serial port. The port is one byte stream, so one session at a time: the stream
    /// holds the port until it is disposed, and a second caller waits up to <see cref="AgentPortWait"/> for it.
    /// </summary>
    public async Task<Stream> OpenAgentAsync(CancellationToken cancellationToken)
    {
        if (!await _agentGate.WaitAsync(AgentPortWait, cancellationToken))
        {
            throw new InvalidOperationException(
                $"another exec session holds the guest agent's port (qemu carries one at a time); try again when it ends.");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_directory.AgentSocket), cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            _agentGate.Release();
            if (ex is SocketException)
            {
                throw new InvalidOperationException(
                    $"the VM has no guest agent port ({ex.Message}); it was started before Formation had exec: restart the VM.", ex);
            }

            throw;
        }

        return new GatedStream(new NetworkStream(socket, ownsSocket: true), () => _agentGate.Release());
    }

    /// <summary>
    /// How long a second exec session waits for the agent port. With the handshake and the start (each up to
    /// <c>Formation:Vms:AgentTimeout</c>, 10 s) it stays within the 30 s a grain call may take.
    /// </summary>
    public static TimeSpan AgentPortWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Saves the paused VM as a QEMU migration stream into <see cref="StateFile"/> of <paramref name="directory"/>. QEMU 7.2
    /// has no <c>file:</c> URI, and the jailed QEMU (chrooted, its own uid) could not open a path anyway: the silo opens the
    /// file and hands QEMU the descriptor (<c>getfd</c>, then <c>migrate fd:</c>). Afterwards QEMU stays paused
    /// (<c>postmigrate</c>); <see cref="ResumeAsync"/> continues it.
    /// </summary>
    public async Task SnapshotAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, StateFile);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // The default rate limit (128 MiB/s) is for live migration over a network; a paused VM to a local file goes flat out.
        await _qmp.ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = UnlimitedBandwidth }, cancellationToken);
        await StartMigrationAsync(SnapshotFdName, file.SafeFileHandle, cancellationToken);

        // Not cancelled part way: with QEMU 7.2 a migrate_cancel that lands in the migration's last phase (disks already
        // handed over) left the guest stuck after the resume in about one test run in five. Saving a paused VM to a
        // local file is bounded by its memory, so a cancelled snapshot lets it finish and is then thrown away.
        await WaitForMigrationAsync("saving the VM's state", CancellationToken.None);
        await WaitWhileFinishingMigrationAsync();
        cancellationToken.ThrowIfCancellationRequested();
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Loads <see cref="StateFile"/> of <paramref name="directory"/> into this QEMU (started with <c>-incoming defer</c>)
    /// and continues the guest: the counterpart of <see cref="SnapshotAsync"/>.
    /// </summary>
    public async Task RestoreAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, StateFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"the snapshot has no qemu machine state ({path} is missing)", path);
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        await _qmp.ExecuteAsync("getfd", new JsonObject { ["fdname"] = SnapshotFdName }, file.SafeFileHandle, cancellationToken);
        await _qmp.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = "fd:" + SnapshotFdName }, cancellationToken);
        await WaitForMigrationAsync("loading the VM's state", cancellationToken);

        // The stream carries the source's run state (paused when it was saved): continue explicitly.
        await ResumeAsync(cancellationToken);
    }

    /// <summary>Hands QEMU <paramref name="destination"/> as monitor fd <paramref name="fdName"/> and starts a migration into it.</summary>
    private async Task StartMigrationAsync(string fdName, System.Runtime.InteropServices.SafeHandle destination, CancellationToken cancellationToken)
    {
        await _qmp.ExecuteAsync("getfd", new JsonObject { ["fdname"] = fdName }, destination, cancellationToken);
        try
        {
            // Not cancellable once asked for: a cancelled wait for the answer would leave a migration running unseen.
            await _qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = "fd:" + fdName }, CancellationToken.None);
        }
        catch (QmpException)
        {
            await TryAsync("closefd", new JsonObject { ["fdname"] = fdName });
            throw;
        }
    }

    /// <summary>The file a qemu snapshot's machine state is kept in (a QEMU migration stream).</summary>
    public const string StateFile = "qemu-state.bin";

    private const string SnapshotFdName = "formation-snapshot";

    private const long UnlimitedBandwidth = 1L << 40;

    private async Task WaitForMigrationAsync(string what, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (Exited.IsCompleted)
            {
                var exit = await Exited;
                throw new InvalidOperationException($"qemu ended while {what}: {exit.Detail}");
            }

            JsonNode? info;
            try
            {
                info = await _qmp.ExecuteAsync("query-migrate", null, cancellationToken);
            }
            catch (QmpException) when (Exited.IsCompleted)
            {
                continue; // reported with the exit above
            }

            switch (info?["status"]?.GetValue<string>())
            {
                case "completed":
                    return;
                case "failed" or "cancelled":
                    throw new InvalidOperationException(
                        $"qemu failed {what}: {info?["error-desc"]?.GetValue<string>() ?? info?.ToJsonString()}");
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
        }
    }

    /// <summary>
    /// QEMU reports a migration completed before its migration thread has set the run state it ends in
    /// (<c>finish-migrate</c> → <c>postmigrate</c>); a <c>cont</c> must not race that thread. Waits (up to 30 s, not
    /// cancellable) until the state has settled.
    /// </summary>
    private async Task WaitWhileFinishingMigrationAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !Exited.IsCompleted)
        {
            try
            {
                var status = (await _qmp.ExecuteAsync("query-status", null, CancellationToken.None))?["status"]?.GetValue<string>();
                if (status != "finish-migrate")
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is QmpException or IOException or ObjectDisposedException)
            {
                return;
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }

    private async Task TryAsync(string command, JsonObject? arguments)
    {
        try
        {
            await _qmp.ExecuteAsync(command, arguments, CancellationToken.None);
        }
        catch (Exception ex) when (ex is QmpException or IOException or ObjectDisposedException)
        {
            // best effort while unwinding a failure
        }
    }

    public async ValueTask DisposeAsync()
    {
        _console?.Dispose();
        await _qmp.DisposeAsync();
        if (_trimmer is not null)
        {
            await _trimmer.DisposeAsync();
        }
    }

    private static JsonObject Key(string qcode) => new() { ["type"] = "qcode", ["data"] = qcode };

    private async Task WatchAsync()
    {
        await foreach (var evt in _qmp.Events.ReadAllAsync())
        {
            OnHotplugEvent(evt);
            if (evt.Name == "SHUTDOWN")
            {
                _shutdownReason = evt.Data?["reason"]?.GetValue<string>() ?? "unknown";
            }
        }

        await ProcessInfo.WaitForExitAsync(Pid, TimeSpan.FromSeconds(10), CancellationToken.None);
        if (_trimmer is not null)
        {
            await _trimmer.DisposeAsync(); // the last output QEMU wrote is trimmed too
        }

        _released?.Invoke();
        _exited.TrySetResult(_shutdownReason switch
        {
            "guest-shutdown" => new VmExit(VmExitKind.PowerOff, "the guest powered off"),
            "guest-reset" => new VmExit(VmExitKind.Reboot, "the guest rebooted"),
            "guest-panic" => new VmExit(VmExitKind.Crash, "the guest kernel panicked"),
            _ when _killRequested => new VmExit(VmExitKind.Killed, "stopped by the host"),
            "host-qmp-quit" or "host-signal" or "host-ui" => new VmExit(VmExitKind.Killed, $"qemu was told to quit ({_shutdownReason})"),
            null => new VmExit(VmExitKind.Crash, "the qemu process ended unexpectedly"),
            _ => new VmExit(VmExitKind.Crash, $"qemu shut down: {_shutdownReason}"),
        });
    }
}

using Formation.Silo.Hypervisors;
using Formation.Silo.Platform;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Formation.Silo.Vms;

namespace Formation.Silo.Hypervisors.Kvm;

/// <summary>One running formation-vmm, driven over its control socket. Its end is learned from a pending <c>wait</c>.</summary>
public sealed class KvmProcess : IVmProcess
{
    private readonly VmDirectory _directory;
    private readonly TaskCompletionSource<VmExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _consoleGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private Socket? _console;

    public KvmProcess(int pid, VmDirectory directory)
    {
        Pid = pid;
        _directory = directory;
        _ = WatchAsync();
    }

    public int Pid { get; }

    public Task<VmExit> Exited => _exited.Task;

    public async Task<bool> IsPausedAsync(CancellationToken cancellationToken) =>
        (await RequestAsync("info", cancellationToken))?["state"]?.GetValue<string>() == "paused";

    public Task PauseAsync(CancellationToken cancellationToken) => RequestAsync("pause", cancellationToken);

    public Task ResumeAsync(CancellationToken cancellationToken) => RequestAsync("resume", cancellationToken);

    public async Task<VmExit> ShutdownAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (await IsPausedAsync(cancellationToken))
        {
            await ResumeAsync(cancellationToken);
        }

        var request = new JsonObject { ["cmd"] = "shutdown", ["timeoutSeconds"] = Math.Max(1, (int)deadline.TotalSeconds) };
        try
        {
            await VmmControlClient.RequestAsync(_directory.ControlSocket, request, cancellationToken);
        }
        catch (IOException)
        {
            // The VMM ended while answering; the watcher reports how.
        }

        return await Exited.WaitAsync(deadline + TimeSpan.FromSeconds(15), cancellationToken);
    }

    public Task<VmExit> KillAsync(CancellationToken cancellationToken)
    {
        return VmProcessHelpers.KillAsync(Pid, Exited, ct => RequestAsync("kill", ct), cancellationToken);
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

    public ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _console?.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task<JsonNode?> RequestAsync(string command, CancellationToken cancellationToken) =>
        VmmControlClient.RequestAsync(_directory.ControlSocket, new JsonObject { ["cmd"] = command }, cancellationToken);

    /// <summary>Holds a <c>wait</c> request open; its answer (or the connection dropping) is the VM's end.</summary>
    private async Task WatchAsync()
    {
        VmExit exit;
        try
        {
            var result = await VmmControlClient.RequestAsync(_directory.ControlSocket, new JsonObject { ["cmd"] = "wait" }, _closing.Token);
            exit = Map(result?["exitReason"]?.GetValue<string>(), result?["detail"]?.GetValue<string>());
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
        {
            exit = new VmExit(VmExitKind.Crash, $"formation-vmm ended without reporting why ({ex.Message})");
        }

        await ProcessInfo.WaitForExitAsync(Pid, TimeSpan.FromSeconds(10), CancellationToken.None);
        _exited.TrySetResult(exit);
    }

    private static VmExit Map(string? reason, string? detail)
    {
        var text = string.IsNullOrWhiteSpace(detail) ? reason ?? "unknown" : $"{reason}: {detail}";
        return reason switch
        {
            "PowerOff" => new VmExit(VmExitKind.PowerOff, "the guest powered off"),
            "Reset" => new VmExit(VmExitKind.Reboot, "the guest rebooted"),
            "Killed" or "ShutdownTimeout" => new VmExit(VmExitKind.Killed, text),
            _ => new VmExit(VmExitKind.Crash, $"the VM stopped: {text}"),
        };
    }
}

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
        VmExit exit;
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
            exit = new VmExit(VmExitKind.Crash, $"formation-vmm ended without reporting why ({ex.Message})");
        }

        await ProcessInfo.WaitForExitAsync(Pid, TimeSpan.FromSeconds(10), CancellationToken.None);
        _exited.TrySetResult(exit);
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

using System.Net.Sockets;
using System.Text;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Kvm.Native.Tests.Protocol;

/// <summary>
/// The silo's client (<see cref="VmmControlClient"/>) against the VMM's <see cref="ControlServer"/> over a real Unix
/// socket, every command, with a <see cref="ScriptedMachine"/> behind the server so it runs without /dev/kvm
/// (<c>ControlServerTests</c> drives a real VM the same way).
/// </summary>
public sealed class ControlSocketProtocolTests : IAsyncLifetime
{
    private readonly Tools.TempDir _dir = Tools.CreateTempDir();
    private readonly ScriptedMachine _machine = new();
    private ControlServer? _server;

    private string Socket => _dir.File("vm.sock");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = ControlServer.Start(_machine, Socket, NullLogger.Instance);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server!.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Lifecycle_BootPauseRegistersResumeKill_AnsweredWithTypedResults()
    {
        Assert.Equal(new StateResult(MachineState.Running), await VmmControlClient.SendAsync(Socket, new BootRequest(), Ct));
        Assert.Equal(new StateResult(MachineState.Paused), await VmmControlClient.SendAsync(Socket, new PauseRequest { Id = 5 }, Ct));
        Assert.Equal(_machine.Registers(), await VmmControlClient.SendAsync(Socket, new RegistersRequest(), Ct));
        Assert.Equal(new StateResult(MachineState.Running), await VmmControlClient.SendAsync(Socket, new ResumeRequest(), Ct));
        Assert.Equivalent(_machine.Info(), await VmmControlClient.SendAsync(Socket, new InfoRequest(), Ct), strict: true);
        Assert.Equal(ExitResult.For(ExitReason.Killed, "kill requested on the control socket"),
            await VmmControlClient.SendAsync(Socket, new KillRequest(), Ct));
        Assert.Equal(MachineState.Stopped, (await VmmControlClient.SendAsync(Socket, new InfoRequest(), Ct)).State);
    }

    [Fact]
    public async Task Snapshot_RefusedWhileRunning_AnsweredWithItsResultWhenPaused()
    {
        await VmmControlClient.SendAsync(Socket, new BootRequest(), Ct);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => VmmControlClient.SendAsync(Socket, new SnapshotRequest("/snap/a"), Ct));
        Assert.Equal("formation-vmm refused 'snapshot': cannot snapshot: the VM is running; pause it first", e.Message);
        await VmmControlClient.SendAsync(Socket, new PauseRequest(), Ct);
        Assert.Equal(new SnapshotResult("/snap/a", 64 << 20, 3 << 20), await VmmControlClient.SendAsync(Socket, new SnapshotRequest("/snap/a") { Id = 2 }, Ct));
        Assert.Equal(["/snap/a"], _machine.Snapshots);
    }

    [Fact]
    public async Task Refusal_BecomesInvalidOperationWithTheVmmsReason()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => VmmControlClient.SendAsync(Socket, new PauseRequest(), Ct));
        Assert.Equal("formation-vmm refused 'pause': cannot pause: the VM is created", e.Message);
        e = await Assert.ThrowsAsync<InvalidOperationException>(() => VmmControlClient.SendAsync(Socket, new ShutdownRequest { TimeoutSeconds = 0 }, Ct));
        Assert.Contains("timeoutSeconds", e.Message);
        e = await Assert.ThrowsAsync<InvalidOperationException>(
            () => VmmControlClient.SendAsync(Socket, new ShutdownRequest { TimeoutSeconds = ShutdownRequest.MaxTimeoutSeconds + 1 }, Ct));
        Assert.Contains("timeoutSeconds", e.Message);
    }

    [Fact]
    public async Task WaitAndShutdown_AnswerWhenTheGuestStops_WithoutBlockingOtherConnections()
    {
        await VmmControlClient.SendAsync(Socket, new BootRequest(), Ct);
        var wait = VmmControlClient.SendAsync(Socket, new WaitRequest(), Ct);
        var shutdown = VmmControlClient.SendAsync(Socket, new ShutdownRequest { TimeoutSeconds = 42 }, Ct);
        await TinyGuest.WaitUntil(() => _machine.ShutdownDeadline is not null, "the shutdown request to arrive");
        Assert.Equal(TimeSpan.FromSeconds(42), _machine.ShutdownDeadline);
        Assert.Equal(MachineState.Running, (await VmmControlClient.SendAsync(Socket, new InfoRequest(), Ct)).State);
        Assert.False(wait.IsCompleted);

        _machine.Stop(ExitReason.Reset, "the guest reset the CPU through the i8042 controller");
        var expected = ExitResult.For(ExitReason.Reset, "the guest reset the CPU through the i8042 controller");
        Assert.Equal(expected, await wait);
        Assert.Equal(expected, await shutdown);
    }

    [Fact]
    public async Task Console_CarriesBytesBothWays_IncludingBytesSentWithTheRequest()
    {
        using var console = await VmmControlClient.OpenConsoleAsync(Socket, Ct);
        await TinyGuest.WaitUntil(() => _machine.ConsoleAttached, "the console to attach");
        byte[] output = [.. "login: "u8, 0xff, 0x00];
        await _machine.WriteConsoleAsync(output);
        var received = new List<byte>();
        var buffer = new byte[64];
        while (received.Count < output.Length)
        {
            received.AddRange(buffer.AsSpan(0, await console.ReceiveAsync(buffer, SocketFlags.None, Ct)).ToArray());
        }

        Assert.Equal(output, received);
        await console.SendAsync("root\n"u8.ToArray(), SocketFlags.None, Ct);
        await TinyGuest.WaitUntil(() => Input() == "root\n", "the typed bytes to reach the UART");

        // A client may send console bytes right behind the request line, in the same write.
        using var eager = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await eager.ConnectAsync(new UnixDomainSocketEndPoint(Socket), Ct);
        byte[] requestAndInput = [.. VmmProtocol.SerializeRequest(new ConsoleRequest()), .. "ls\n"u8];
        await eager.SendAsync(requestAndInput, SocketFlags.None, Ct);
        await TinyGuest.WaitUntil(() => Input() == "root\nls\n", "bytes sent with the request to reach the UART");
    }

    [Fact]
    public async Task ClosedWithoutAnswer_IsAnIOException()
    {
        await _server!.DisposeAsync();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Socket));
        listener.Listen(1);
        var send = VmmControlClient.SendAsync(Socket, new InfoRequest(), Ct);
        using (var accepted = await listener.AcceptAsync(Ct))
        {
            await accepted.ReceiveAsync(new byte[64], SocketFlags.None, Ct);
        }

        var e = await Assert.ThrowsAsync<IOException>(() => send);
        Assert.Contains("without answering 'info'", e.Message);
        _server = ControlServer.Start(_machine, _dir.File("again.sock"), NullLogger.Instance);
    }

    private string Input()
    {
        lock (_machine.ConsoleInput)
        {
            return Encoding.Latin1.GetString([.. _machine.ConsoleInput]);
        }
    }
}

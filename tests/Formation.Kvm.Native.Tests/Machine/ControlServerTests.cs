using System.Net.Sockets;
using System.Text;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Kvm.Native.Tests.Machine;

/// <summary>The control API over a real Unix socket, driving a tiny guest under /dev/kvm.</summary>
public sealed class ControlServerTests
{
    [Fact]
    public async Task Commands_BootInfoPauseResumeKill_WorkOverTheSocket()
    {
        using var guest = TinyGuest.Create("""
            1:  mov $0x3f8, %dx
                mov $'.', %al
                out %al, %dx
                pause
                jmp 1b
            """, c => c with { InKernelIrqchip = true });
        using var dir = Tools.CreateTempDir();
        var socket = dir.File("vm.sock");
        await using var server = ControlServer.Start(guest.Vm, socket, NullLogger.Instance);

        var boot = VmmProtocol.ParseReply<StateResult>(await ControlSocket.SendRawLineAsync(socket, """{"id":1,"cmd":"boot"}"""));
        Assert.Equal(new VmmReply<StateResult>(1, true, new StateResult(MachineState.Running), null), boot);

        await TinyGuest.WaitUntil(() => guest.Vm.Serial.BytesTransmitted > 10, "console output");
        var info = await ControlSocket.SendAsync(socket, new InfoRequest());
        Assert.True(info.Exits.Io > 10);
        Assert.Equal(1, info.Vcpus);
        Assert.Equal(MachineState.Running, info.State);

        Assert.Equal(MachineState.Paused, (await ControlSocket.SendAsync(socket, new PauseRequest())).State);
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => ControlSocket.SendAsync(socket, new PauseRequest()));
        Assert.Contains("the VM is paused", again.Message);
        Assert.Single(await ControlSocket.SendAsync(socket, new RegistersRequest()));
        Assert.Equal(MachineState.Running, (await ControlSocket.SendAsync(socket, new ResumeRequest())).State);

        var kill = await ControlSocket.SendAsync(socket, new KillRequest());
        Assert.Equal(ExitReason.Killed, kill.ExitReason);
        Assert.Equal((int)ExitReason.Killed, kill.ExitStatus);
    }

    [Fact]
    public async Task BadRequests_GetErrorsThatSayWhatToSend()
    {
        using var guest = TinyGuest.Create("hlt");
        using var dir = Tools.CreateTempDir();
        var socket = dir.File("vm.sock");
        await using var server = ControlServer.Start(guest.Vm, socket, NullLogger.Instance);
        Assert.Contains("info", Error(await ControlSocket.SendRawLineAsync(socket, """{"cmd":"dance"}""")));
        Assert.Contains("cmd", Error(await ControlSocket.SendRawLineAsync(socket, """{"id":2}""")));
        Assert.Contains("cmd", Error(await ControlSocket.SendRawLineAsync(socket, "not json")));
    }

    private static string Error(byte[] line)
    {
        var reply = VmmProtocol.ParseReply<StateResult>(line);
        Assert.False(reply.Ok);
        return reply.Error!;
    }

    [Fact]
    public async Task Console_AttachedClient_ReceivesOutputAndSendsInput()
    {
        using var guest = TinyGuest.Create("""
                mov $0x3f8, %dx
            1:  add $5, %dx
                in %dx, %al
                sub $5, %dx
                test $1, %al
                jz 1b
                in %dx, %al
                cmp $'q', %al
                je 2f
                out %al, %dx
                jmp 1b
            2:  mov $0x501, %dx
                out %al, %dx
            3:  jmp 3b
            """);
        using var dir = Tools.CreateTempDir();
        var socket = dir.File("vm.sock");
        await using var server = ControlServer.Start(guest.Vm, socket, NullLogger.Instance);
        using var s = await VmmControlClient.OpenConsoleAsync(socket, TestContext.Current.CancellationToken);
        await using var stream = new NetworkStream(s);
        var buffer = new byte[256];
        var got = new StringBuilder();
        guest.Vm.Start();
        await stream.WriteAsync("echo"u8.ToArray(), TestContext.Current.CancellationToken);
        while (!got.ToString().Contains("echo"))
        {
            got.Append(Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)));
        }

        await stream.WriteAsync("q"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(ExitReason.PowerOff, await guest.WaitAsync());
    }
}

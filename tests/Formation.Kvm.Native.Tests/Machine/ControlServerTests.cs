using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Kvm.Native.Tests.Machine;

/// <summary>The control API over a real Unix socket, driving a tiny guest under /dev/kvm.</summary>
public sealed class ControlServerTests
{
    private static async Task<JsonObject> Call(string socket, string request) =>
        (JsonObject)JsonNode.Parse(await ControlSocket.CallAsync(socket, request))!;

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

        var boot = await Call(socket, """{"id":1,"cmd":"boot"}""");
        Assert.True(boot["ok"]!.GetValue<bool>());
        Assert.Equal(1, boot["id"]!.GetValue<int>());
        Assert.Equal("running", boot["result"]!["state"]!.GetValue<string>());

        await TinyGuest.WaitUntil(() => guest.Vm.Serial.BytesTransmitted > 10, "console output");
        var info = await Call(socket, """{"cmd":"info"}""");
        Assert.True(info["result"]!["exits"]!["io"]!.GetValue<long>() > 10);
        Assert.Equal(1, info["result"]!["vcpus"]!.GetValue<int>());

        Assert.Equal("paused", (await Call(socket, """{"cmd":"pause"}"""))["result"]!["state"]!.GetValue<string>());
        var again = await Call(socket, """{"cmd":"pause"}""");
        Assert.False(again["ok"]!.GetValue<bool>());
        Assert.Contains("paused", again["error"]!.GetValue<string>());
        Assert.Equal("running", (await Call(socket, """{"cmd":"resume"}"""))["result"]!["state"]!.GetValue<string>());

        var kill = await Call(socket, """{"cmd":"kill"}""");
        Assert.Equal((int)ExitReason.Killed, kill["result"]!["exitStatus"]!.GetValue<int>());
    }

    [Fact]
    public async Task BadRequests_GetErrorsThatSayWhatToSend()
    {
        using var guest = TinyGuest.Create("hlt");
        using var dir = Tools.CreateTempDir();
        var socket = dir.File("vm.sock");
        await using var server = ControlServer.Start(guest.Vm, socket, NullLogger.Instance);
        Assert.Contains("info", (await Call(socket, """{"cmd":"dance"}"""))["error"]!.GetValue<string>());
        Assert.Contains("cmd", (await Call(socket, """{"id":2}"""))["error"]!.GetValue<string>());
        Assert.False((await Call(socket, "not json"))["ok"]!.GetValue<bool>());
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
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), TestContext.Current.CancellationToken);
        await using var stream = new NetworkStream(s);
        await stream.WriteAsync("{\"cmd\":\"console\"}\n"u8.ToArray(), TestContext.Current.CancellationToken);
        var buffer = new byte[256];
        var got = new StringBuilder();
        while (!got.ToString().Contains('\n'))
        {
            got.Append(Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)));
        }

        Assert.Contains("\"attached\":true", got.ToString());
        guest.Vm.Start();
        await stream.WriteAsync("echo"u8.ToArray(), TestContext.Current.CancellationToken);
        got.Clear();
        while (!got.ToString().Contains("echo"))
        {
            got.Append(Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)));
        }

        await stream.WriteAsync("q"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(ExitReason.PowerOff, await guest.WaitAsync());
    }
}

using System.Diagnostics;
using System.Text;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>
/// The Formation guest kernel with a busybox /init that answers console lines, under formation-vmm with its seccomp
/// allow-list: boot to the marker, snapshot, kill, restore in a new formation-vmm, and the guest answers on its console.
/// The boot takes 60-150 s on nested PVM hosts (ring-0 code is emulated there); the restore does not boot.
/// </summary>
public sealed class RealKernelSnapshotTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(6);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task GuestKernel_SnapshotKillRestore_StillAnswersOnItsConsole()
    {
        Prerequisites.RequireKvm("formation-vmm boots the guest kernel on /dev/kvm");
        GuestKernel.RequireBuilt();
        using var dir = Tools.CreateTempDir();
        GuestKernel.WriteBusyboxInitramfs(dir.File("initrd.cpio"), echo: true);
        var config = new VmmConfig
        {
            Kernel = GuestKernel.Vmlinux,
            Initrd = "initrd.cpio",
            Cmdline = "console=ttyS0 panic=-1 quiet",
            MemoryMiB = 256,
            ConsoleLog = "console1.log",
            ControlSocket = "vm1.sock",
            PidFile = "vm1.pid",
        };
        File.WriteAllText(dir.File("vm1.json"), VmmProtocol.SerializeConfig(config));
        var snapshot = dir.File("snapshot");
        Directory.CreateDirectory(snapshot);

        using (var first = Start(dir, "vm1.json"))
        {
            try
            {
                await WaitForConsole(dir, "console1.log", GuestKernel.Marker, BootTimeout, first);
                await Answers(dir, "vm1.sock", "console1.log", "before-snapshot", first);
                await ControlSocket.SendAsync(dir.File("vm1.sock"), new PauseRequest());
                var result = await ControlSocket.SendAsync(dir.File("vm1.sock"), new SnapshotRequest(snapshot));
                Assert.Equal(256L << 20, result.MemoryBytes);
                Assert.True(result.MemoryDataBytes < result.MemoryBytes, $"{result.MemoryDataBytes} bytes of data: the zero pages were written");
                await ControlSocket.SendAsync(dir.File("vm1.sock"), new KillRequest());
                await first.WaitForExitAsync(TestContext.Current.CancellationToken);
                Assert.Equal((int)ExitReason.Killed, first.ExitCode);
            }
            finally
            {
                Stop(first);
            }
        }

        File.WriteAllText(dir.File("vm2.json"), VmmProtocol.SerializeConfig(config with
        {
            Kernel = null, Initrd = null, RestoreFrom = "snapshot", ConsoleLog = "console2.log", ControlSocket = "vm2.sock", PidFile = "vm2.pid",
        }));
        using var second = Start(dir, "vm2.json");
        try
        {
            await Answers(dir, "vm2.sock", "console2.log", "after-restore", second);
            Assert.DoesNotContain(GuestKernel.Marker, ReadConsole(dir, "console2.log")); // it continued, it did not boot again
            Assert.Equal(ExitReason.Killed, (await ControlSocket.SendAsync(dir.File("vm2.sock"), new KillRequest())).ExitReason);
        }
        finally
        {
            Stop(second);
        }
    }

    private static Process Start(Tools.TempDir dir, string config)
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "formation-vmm")) { WorkingDirectory = dir.Path };
        foreach (var a in new[] { "--config", dir.File(config), "--no-setsid", "--log", dir.File(config + ".log") })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    /// <summary>Types <paramref name="word"/> on the console and waits for the guest's <c>echo:word</c>.</summary>
    private static async Task Answers(Tools.TempDir dir, string socket, string log, string word, Process vmm)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(dir.File(socket)))
        {
            Assert.True(DateTime.UtcNow < deadline && !vmm.HasExited, $"no control socket; VMM log:\n{ReadConsole(dir, Path.GetFileName(socket).Replace(".sock", ".json.log"))}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        using var console = await VmmControlClient.OpenConsoleAsync(dir.File(socket), TestContext.Current.CancellationToken);
        await console.SendAsync(Encoding.ASCII.GetBytes(word + "\n"), TestContext.Current.CancellationToken);
        await WaitForConsole(dir, log, "echo:" + word, AnswerTimeout, vmm);
    }

    private static async Task WaitForConsole(Tools.TempDir dir, string log, string text, TimeSpan timeout, Process vmm)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!ReadConsole(dir, log).Contains(text, StringComparison.Ordinal))
        {
            Assert.False(vmm.HasExited, $"formation-vmm exited before '{text}'; console:\n{ReadConsole(dir, log)}");
            Assert.True(DateTime.UtcNow < deadline, $"no '{text}' within {timeout}; console:\n{ReadConsole(dir, log)}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private static string ReadConsole(Tools.TempDir dir, string name)
    {
        if (!File.Exists(dir.File(name)))
        {
            return "";
        }

        using var s = new FileStream(dir.File(name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(s).ReadToEnd();
    }

    private static void Stop(Process vmm)
    {
        if (!vmm.HasExited)
        {
            vmm.Kill();
            vmm.WaitForExit();
        }
    }
}

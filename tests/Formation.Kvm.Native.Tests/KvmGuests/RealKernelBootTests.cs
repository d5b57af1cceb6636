using System.Diagnostics;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>
/// The Formation guest kernel + a busybox initramfs under the formation-vmm process on 1 and 2 vCPUs (MP
/// table, IOAPIC mode either way) with a read-only virtio-blk disk: user space prints a marker through the UART's THRE
/// interrupt (including bytes it read from /dev/vda), then a graceful shutdown over the control socket
/// (Ctrl-Alt-Del through the i8042, handled by the kernel's keyboard driver) reboots the guest.
/// About 60-150 s per case on nested PVM hosts (ring-0 code is emulated there); about a second on VT-x/AMD-V.
/// </summary>
public sealed class RealKernelBootTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(6);

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(1)]
    [InlineData(2)]
    public async Task FormationVmm_BootsGuestKernel_ToMarkerThenShutsDownGracefully(int vcpus)
    {
        Prerequisites.RequireKvm("formation-vmm boots the guest kernel on /dev/kvm");
        GuestKernel.RequireBuilt();
        using var dir = Tools.CreateTempDir();
        GuestKernel.WriteBusyboxInitramfs(dir.File("initrd.cpio"));
        var disk = new byte[1 << 20];
        "FORMATIONDISK"u8.CopyTo(disk);
        File.WriteAllBytes(dir.File("disk.img"), disk);
        File.WriteAllText(dir.File("vm.json"), VmmProtocol.SerializeConfig(new VmmConfig
        {
            Kernel = GuestKernel.Vmlinux,
            Initrd = "initrd.cpio",
            Cmdline = "console=ttyS0 panic=-1 quiet",
            Vcpus = vcpus,
            MemoryMiB = 256,
            Disks = [new DiskConfig("disk.img", ReadOnly: true)],
            ConsoleLog = "console.log",
            ControlSocket = "vm.sock",
            PidFile = "vm.pid",
        }));
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "formation-vmm")) { RedirectStandardError = true, WorkingDirectory = dir.Path };
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(dir.File("vm.json"));
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var deadline = DateTime.UtcNow + BootTimeout;
            while (!ReadConsole(dir).Contains(GuestKernel.Marker, StringComparison.Ordinal))
            {
                Assert.False(process.HasExited, $"formation-vmm exited with {(process.HasExited ? process.ExitCode : 0)} before the marker; console:\n{ReadConsole(dir)}");
                Assert.True(DateTime.UtcNow < deadline, $"no marker within {BootTimeout}; console:\n{ReadConsole(dir)}");
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }

            var console = ReadConsole(dir);
            Assert.Contains($"cpus={vcpus}", console);
            Assert.Contains("disk=FORMATIONDISK", console);

            var shutdown = await ControlSocket.SendAsync(dir.File("vm.sock"), new ShutdownRequest { TimeoutSeconds = 300 });
            Assert.True(shutdown.ExitReason == ExitReason.Reset, $"shutdown: {shutdown}; console:\n{ReadConsole(dir)}");
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal((int)ExitReason.Reset, process.ExitCode);
            Assert.False(File.Exists(dir.File("vm.pid")), "the pid file is removed at exit");
            Assert.False(File.Exists(dir.File("vm.sock")), "the control socket is removed at exit");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static string ReadConsole(Tools.TempDir dir)
    {
        if (!File.Exists(dir.File("console.log")))
        {
            return "";
        }

        using var s = new FileStream(dir.File("console.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(s).ReadToEnd();
    }
}

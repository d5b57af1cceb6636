using System.Diagnostics;
using Formation.Kvm.Native.Kvm;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>
/// The Formation guest kernel + a busybox initramfs under the formation-vmm process on 2 vCPUs (MP table,
/// IOAPIC), to the init marker printed by user space through the UART's THRE interrupt.
/// About 75-150 s on nested PVM hosts (ring-0 code is emulated there); well under a second on VT-x/AMD-V.
/// </summary>
public sealed class RealKernelBootTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task FormationVmm_BootsGuestKernelOnTwoVcpus_ToInitMarkerAndReboots()
    {
        Assert.SkipUnless(KvmSystem.IsAvailable(), "/dev/kvm cannot be opened read-write on this machine");
        GuestKernel.SkipUnlessBuilt();
        using var dir = Tools.CreateTempDir();
        GuestKernel.WriteBusyboxInitramfs(dir.File("initrd.cpio"));
        File.WriteAllText(dir.File("vm.json"), $$"""
            {
              "kernel": "{{GuestKernel.Vmlinux}}",
              "initrd": "initrd.cpio",
              "cmdline": "console=ttyS0 panic=-1 quiet vmmreboot",
              "vcpus": 2,
              "memoryMiB": 256,
              "consoleLog": "console.log",
              "controlSocket": "vm.sock",
              "pidFile": "vm.pid"
            }
            """);
        var vmm = Path.Combine(AppContext.BaseDirectory, "formation-vmm");
        var psi = new ProcessStartInfo(vmm) { RedirectStandardError = true, WorkingDirectory = dir.Path };
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(dir.File("vm.json"));
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(BootTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            Assert.Fail($"no exit within {BootTimeout}; console:\n{ReadConsole(dir)}\nvmm:\n{await stderr}");
        }

        var console = ReadConsole(dir);
        Assert.True(console.Contains(GuestKernel.Marker, StringComparison.Ordinal), $"no marker; console:\n{console}\nvmm:\n{await stderr}");
        Assert.Contains("cpus=2", console);
        Assert.Equal((int)ExitReason.Reset, process.ExitCode);
        Assert.False(File.Exists(dir.File("vm.pid")), "the pid file is removed at exit");
        Assert.False(File.Exists(dir.File("vm.sock")), "the control socket is removed at exit");
    }

    private static string ReadConsole(Tools.TempDir dir) =>
        File.Exists(dir.File("console.log")) ? File.ReadAllText(dir.File("console.log")) : "(no console log)";
}

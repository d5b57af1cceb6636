using System.Diagnostics;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.KvmGuests;

/// <summary>
/// The Formation guest kernel also boots under QEMU (the other hypervisor driver), here with TCG so it
/// runs on any host: -M pc with the bzImage (SeaBIOS, ACPI, virtio-pci capable) and -M microvm with
/// both the bzImage and the ELF vmlinux (PVH entry). microvm has no PIT/HPET reference for TSC
/// calibration under TCG, hence tsc_early_khz.
/// </summary>
public sealed class GuestKernelQemuTests
{
    [Theory]
    [InlineData("pc", "bzImage", "")]
    [InlineData("microvm", "bzImage", " tsc_early_khz=2000000")]
    [InlineData("microvm", "vmlinux", " tsc_early_khz=2000000")]
    public async Task GuestKernel_UnderQemuTcg_ReachesInitMarker(string machine, string image, string extra)
    {
        GuestKernel.RequireBuilt();
        Prerequisites.Require(Tools.Exists("qemu-system-x86_64"), "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)");
        using var dir = Tools.CreateTempDir();
        GuestKernel.WriteBusyboxInitramfs(dir.File("initrd.cpio"));
        var psi = new ProcessStartInfo("qemu-system-x86_64") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            "-accel", "tcg", "-M", machine, "-cpu", "qemu64", "-m", "256", "-smp", "2", "-nographic", "-no-reboot",
            "-kernel", Path.Combine(GuestKernel.Directory, image), "-initrd", dir.File("initrd.cpio"),
            "-append", "console=ttyS0 panic=-1 vmmpoweroff" + extra,
        })
        {
            psi.ArgumentList.Add(a);
        }

        using var qemu = Process.Start(psi)!;
        var output = qemu.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = qemu.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await qemu.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            qemu.Kill();
        }

        var console = await output;
        Assert.True(console.Contains("FORMATION-GUEST-READY 6.1", StringComparison.Ordinal) && console.Contains("cpus=2", StringComparison.Ordinal),
            $"no marker from qemu -M {machine} -kernel {image}:\n{console}\n{await errors}");
    }
}

using System.Diagnostics;
using Formation.Kvm.Native.Kvm;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Machine;

/// <summary>The formation-vmm executable: usage errors, setup errors, surviving its parent, pid file, kill.</summary>
public sealed class FormationVmmProcessTests
{
    private static string Vmm => Path.Combine(AppContext.BaseDirectory, "formation-vmm");

    private static (int ExitCode, string Stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Vmm) { RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr);
    }

    [Fact]
    public void MissingConfigArgument_ExitsWithUsageStatus()
    {
        var (code, stderr) = Run();
        Assert.Equal((int)ExitReason.UsageError, code);
        Assert.Contains("--config is required", stderr);
    }

    [Fact]
    public void KernelMissing_ExitsWithUsageStatusNamingTheFile()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "nope/vmlinux" }""");
        var (code, stderr) = Run("--config", dir.File("vm.json"), "--no-setsid");
        Assert.Equal((int)ExitReason.UsageError, code);
        Assert.Contains("nope/vmlinux", stderr);
    }

    [Fact]
    public void GarbageKernel_ExitsWithSetupStatus()
    {
        Prerequisites.RequireKvm("formation-vmm creates its VM on /dev/kvm");
        using var dir = Tools.CreateTempDir();
        File.WriteAllBytes(dir.File("vmlinux"), new byte[8192]);
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "vmlinux" }""");
        var (code, stderr) = Run("--config", dir.File("vm.json"), "--no-setsid");
        Assert.Equal((int)ExitReason.SetupError, code);
        Assert.Contains("neither an ELF vmlinux nor a bzImage", stderr);
    }

    [Fact]
    public async Task ParentExits_VmmKeepsRunningUntilKilledOverTheSocket()
    {
        Prerequisites.RequireKvm("formation-vmm creates its VM on /dev/kvm");
        using var dir = Tools.CreateTempDir();
        File.WriteAllBytes(dir.File("vmlinux"), KernelImages.Elf(0x1000000, [0xf4], 0x1000, 0x1000000));
        File.WriteAllText(dir.File("vm.json"), """{ "kernel": "vmlinux", "controlSocket": "vm.sock", "pidFile": "vm.pid", "memoryMiB": 64 }""");

        // The parent shell starts the VMM in the background and exits at once.
        Tools.Run("/bin/sh", "-c", $"'{Vmm}' --config '{dir.File("vm.json")}' --no-boot --log '{dir.File("vmm.log")}' </dev/null >/dev/null 2>&1 &");
        await TinyGuest.WaitUntil(() => File.Exists(dir.File("vm.sock")) && File.Exists(dir.File("vm.pid")), "the control socket");
        var pid = int.Parse(File.ReadAllText(dir.File("vm.pid")).Trim());
        using var vmm = Process.GetProcessById(pid);
        Assert.False(vmm.HasExited);
        Assert.Contains("\"state\":\"created\"", await Call(dir.File("vm.sock"), """{"cmd":"info"}"""));
        Assert.Contains("\"exitStatus\":14", await Call(dir.File("vm.sock"), """{"cmd":"kill"}"""));
        await vmm.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.False(File.Exists(dir.File("vm.pid")));
    }

    private static Task<string> Call(string socket, string request) => ControlSocket.CallAsync(socket, request);
}

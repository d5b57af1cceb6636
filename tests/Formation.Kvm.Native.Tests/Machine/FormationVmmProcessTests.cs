using System.Diagnostics;
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
    public void RuntimeConfig_WorkstationGcWithoutBackgroundThread()
    {
        // One VM per process: a server GC would start a heap and a GC thread per host core in every formation-vmm.
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "formation-vmm.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.False(properties.GetProperty("System.GC.Concurrent").GetBoolean());
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
        File.WriteAllText(dir.File("vm.json"), VmmProtocol.SerializeConfig(new VmmConfig { Kernel = "nope/vmlinux" }));
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
        File.WriteAllText(dir.File("vm.json"), VmmProtocol.SerializeConfig(new VmmConfig { Kernel = "vmlinux" }));
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
        File.WriteAllText(dir.File("vm.json"), VmmProtocol.SerializeConfig(
            new VmmConfig { Kernel = "vmlinux", ControlSocket = "vm.sock", PidFile = "vm.pid", MemoryMiB = 64 }));

        // The parent shell starts the VMM in the background and exits at once.
        Tools.Run("/bin/sh", "-c", $"'{Vmm}' --config '{dir.File("vm.json")}' --no-boot --log '{dir.File("vmm.log")}' </dev/null >/dev/null 2>&1 &");
        await TinyGuest.WaitUntil(() => File.Exists(dir.File("vm.sock")) && File.Exists(dir.File("vm.pid")), "the control socket");
        var pid = int.Parse(File.ReadAllText(dir.File("vm.pid")).Trim());
        using var vmm = Process.GetProcessById(pid);
        Assert.False(vmm.HasExited);
        Assert.Equal(MachineState.Created, (await ControlSocket.SendAsync(dir.File("vm.sock"), new InfoRequest())).State);
        Assert.Equal(ExitResult.For(ExitReason.Killed, "kill requested on the control socket"),
            await ControlSocket.SendAsync(dir.File("vm.sock"), new KillRequest()));
        await vmm.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.False(File.Exists(dir.File("vm.pid")));
    }
}

using System.Diagnostics;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Machine;

/// <summary>
/// formation-vmm's own jail, on the real kernel: --run-as leaves root for good on every thread, the seccomp allow-list is
/// on every thread with no_new_privs, and a denied call (the test-only probe's execve) kills the process with SIGSYS.
/// </summary>
public sealed class FormationVmmJailTests
{
    private const uint VmUid = 1_100_065_000;
    private static string Vmm => Path.Combine(AppContext.BaseDirectory, "formation-vmm");

    /// <summary>A guest that waits in HLT with interrupts on, for ever: the VM stays running.</summary>
    private static byte[] IdleGuest => KernelImages.Elf(0x1000000, [0xfb, 0xf4, 0xeb, 0xfd], 0x1000, 0x1000000);

    [Fact]
    public async Task RunAs_EveryThreadIsTheVmUidWithoutCapabilities_UnderTheFilter_AndTheVmStillRuns()
    {
        Prerequisites.RequireKvm("formation-vmm creates its VM on /dev/kvm");
        Prerequisites.Require(Environment.UserName == "root", "--run-as needs root to leave");
        using var dir = Tools.CreateTempDir();
        using var vmm = Start(dir, "--run-as", $"{VmUid}:{VmUid + 1}");
        try
        {
            await TinyGuest.WaitUntil(() => File.Exists(dir.File("vm.sock")) && File.ReadAllText(dir.File("vmm.log")).Contains("jail:"), "the jail");
            foreach (var task in Directory.GetDirectories($"/proc/{vmm.Id}/task"))
            {
                var status = File.ReadAllLines(Path.Combine(task, "status"));
                string Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
                Assert.Equal($"{VmUid}\t{VmUid}\t{VmUid}\t{VmUid}", Field("Uid"));
                Assert.Equal($"{VmUid + 1}\t{VmUid + 1}\t{VmUid + 1}\t{VmUid + 1}", Field("Gid"));
                Assert.Equal("", Field("Groups"));
                Assert.Equal("0000000000000000", Field("CapEff"));
                Assert.Equal("0000000000000000", Field("CapPrm"));
                Assert.Equal("2", Field("Seccomp"));
                Assert.Equal("1", Field("NoNewPrivs"));
            }

            await Task.Delay(1000, TestContext.Current.CancellationToken);
            var info = await ControlSocket.SendAsync(dir.File("vm.sock"), new InfoRequest());
            Assert.Equal(MachineState.Running, info.State);
            Assert.Equal(MachineState.Paused, (await ControlSocket.SendAsync(dir.File("vm.sock"), new PauseRequest())).State);
            Assert.Equal(MachineState.Running, (await ControlSocket.SendAsync(dir.File("vm.sock"), new ResumeRequest())).State);
            Assert.Equal(ExitReason.Killed, (await ControlSocket.SendAsync(dir.File("vm.sock"), new KillRequest())).ExitReason);
            await vmm.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal((int)ExitReason.Killed, vmm.ExitCode); // it ends normally, though it can no longer remove root's files
        }
        finally
        {
            Stop(vmm);
        }
    }

    [Fact]
    public async Task TestingProbe_DeniedCall_KillsTheWholeProcessWithSigsys()
    {
        Prerequisites.RequireKvm("formation-vmm creates its VM on /dev/kvm");
        using var dir = Tools.CreateTempDir();
        using var vmm = Start(dir, "--testing-seccomp-probe");
        try
        {
            await TinyGuest.WaitUntil(() => File.Exists(dir.File("vm.sock")) && File.ReadAllText(dir.File("vmm.log")).Contains("jail:"), "the jail");
            Assert.Equal(MachineState.Running, (await ControlSocket.SendAsync(dir.File("vm.sock"), new InfoRequest())).State);
            Tools.Run("kill", "-USR2", vmm.Id.ToString());
            await vmm.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
            Assert.Equal(128 + 31, vmm.ExitCode); // SIGSYS
            var log = File.ReadAllText(dir.File("vmm.log"));
            Assert.Contains("testing seccomp probe: calling execve", log);
            Assert.DoesNotContain("execve returned", log);
        }
        finally
        {
            Stop(vmm);
        }
    }

    [Fact]
    public async Task NoSeccomp_LeavesTheProcessUnfiltered()
    {
        Prerequisites.RequireKvm("formation-vmm creates its VM on /dev/kvm");
        using var dir = Tools.CreateTempDir();
        using var vmm = Start(dir, "--no-seccomp");
        try
        {
            await TinyGuest.WaitUntil(() => File.Exists(dir.File("vm.sock")) && File.ReadAllText(dir.File("vmm.log")).Contains("jail:"), "the jail");
            Assert.Contains("Seccomp:\t0", File.ReadAllText($"/proc/{vmm.Id}/status"));
            Assert.Contains("seccomp off", File.ReadAllText(dir.File("vmm.log")));
            await ControlSocket.SendAsync(dir.File("vm.sock"), new KillRequest());
            await vmm.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            Stop(vmm);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0:0")]
    [InlineData("100:0")]
    [InlineData("root")]
    [InlineData("-5")]
    [InlineData("1:2:3")]
    public void RunAs_RootOrNotANumber_IsAUsageError(string ids)
    {
        var psi = new ProcessStartInfo(Vmm) { RedirectStandardError = true, ArgumentList = { "--config", "vm.json", "--run-as", ids } };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal((int)ExitReason.UsageError, p.ExitCode);
        Assert.Contains($"--run-as '{ids}'", stderr);
    }

    private static Process Start(Tools.TempDir dir, params string[] extra)
    {
        File.WriteAllBytes(dir.File("vmlinux"), IdleGuest);
        File.WriteAllText(dir.File("vm.json"), VmmProtocol.SerializeConfig(
            new VmmConfig { Kernel = "vmlinux", ControlSocket = "vm.sock", PidFile = "vm.pid", MemoryMiB = 64 }));
        var psi = new ProcessStartInfo(Vmm) { ArgumentList = { "--config", dir.File("vm.json"), "--no-setsid", "--log", dir.File("vmm.log") } };
        foreach (var a in extra)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
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

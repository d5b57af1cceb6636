using System.Diagnostics;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Network;
using Formation.Silo.Vms;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Hypervisors;

/// <summary>
/// The kvm driver's side of the formation-vmm contract: the vmm.json it writes (read back with the contract and by the
/// real formation-vmm), how it reads exit reasons, and that the silo speaks to the VMM only through the contract.
/// </summary>
public sealed class KvmDriverContractTests
{
    private static readonly VmLaunch Launch = new("vm-1", "web", DriverNames.Kvm, 2, 512, "console=ttyS0 quiet", HasInitrd: true,
        HasDisk: true, new VmNetwork("fmtap7", "02:00:00:00:00:07", "10.0.0.7", "10.0.0.1", "255.255.255.0", 24), [], Running: true);

    private static KvmDriver Driver(CompatMode compat) =>
        new(Options.Create(new KvmOptions { Compat = compat }), NullLogger<KvmDriver>.Instance);

    [Fact]
    public void Config_DescribesTheLaunch_AndRoundTripsThroughTheContract()
    {
        using var dir = new TestDirectory("kvm-config");
        var directory = new VmDirectory(dir.Path);
        var config = Driver(CompatMode.On).Config(Launch, directory);
        Assert.Equivalent(new VmmConfig
        {
            Kernel = directory.Kernel, Initrd = directory.Initrd, Cmdline = "console=ttyS0 quiet", Vcpus = 2, MemoryMiB = 512, Rng = true,
            ConsoleLog = directory.ConsoleLog, ControlSocket = directory.ControlSocket, PidFile = directory.PidFile, Compat = CompatMode.On,
            Disks = [new DiskConfig(directory.Disk, Serial: "root")], Nets = [new NetConfig("fmtap7", "02:00:00:00:00:07")],
            Vsock = new VsockConfig(3, directory.VsockSocket),
        }, config, strict: true);
        Assert.Null(config.Vsock!.Problem());
        Assert.StartsWith(directory.RunPath, config.Vsock.Socket, StringComparison.Ordinal);
        Assert.Equivalent(config, VmmProtocol.ParseConfig(VmmProtocol.SerializeConfig(config)), strict: true);

        File.WriteAllBytes(directory.File("vmlinux"), [0x7f]);
        var bare = Driver(CompatMode.Auto).Config(Launch with { HasInitrd = false, HasDisk = false, Network = null }, directory);
        Assert.Equal(directory.File("vmlinux"), bare.Kernel);
        Assert.Null(bare.Initrd);
        Assert.Empty(bare.Disks);
        Assert.Empty(bare.Nets);

        var capped = Driver(CompatMode.Auto).Config(Launch with { ConsoleLogCap = new ConsoleLogCap { MaxBytes = 3 << 20 } }, directory);
        Assert.Equal(3 << 20, VmmProtocol.ParseConfig(VmmProtocol.SerializeConfig(capped)).ConsoleLogCap.MaxBytes);
    }

    [Fact]
    public async Task FormationVmm_BesideTheSilo_StartsOnTheSilosFramework()
    {
        // The silo runs on the ASP.NET Core shared framework (its HTTP API), so the SDK leaves the Microsoft.Extensions
        // assemblies out of its directory; formation-vmm, started from there, must find them in the same framework.
        var vmm = KvmDriver.FindBinary();
        Prerequisites.Require(vmm is not null, "formation-vmm is not built next to formation-silo (the Silo project builds it)");
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "Microsoft.Extensions.Logging.Abstractions.dll")),
            "the silo's directory carries its own Microsoft.Extensions.Logging.Abstractions: this test no longer checks what it says");
        Assert.Contains("Microsoft.AspNetCore.App", await File.ReadAllTextAsync(Path.ChangeExtension(vmm!, ".runtimeconfig.json"), TestContext.Current.CancellationToken));

        using var help = Process.Start(new ProcessStartInfo(vmm!) { RedirectStandardError = true, ArgumentList = { "--help" } })!;
        var usage = await help.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await help.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(help.ExitCode == 0, $"exit status {help.ExitCode}: {usage}");
        Assert.Contains("usage: formation-vmm --config", usage);
    }

    [Fact]
    public async Task Config_AsWritten_IsAcceptedByFormationVmm()
    {
        var vmm = KvmDriver.FindBinary();
        Prerequisites.Require(vmm is not null, "formation-vmm is not built next to formation-silo (the Silo project builds it)");
        using var dir = new TestDirectory("kvm-config");
        var directory = new VmDirectory(dir.Path);
        File.WriteAllBytes(directory.Kernel, new byte[4096]);
        File.WriteAllBytes(directory.Initrd, new byte[512]);
        var path = directory.File("vmm.json");
        await File.WriteAllTextAsync(path, VmmProtocol.SerializeConfig(Driver(CompatMode.Auto).Config(Launch, directory)), TestContext.Current.CancellationToken);

        // A config formation-vmm cannot read ends with UsageError before anything is built; this one gets as far as
        // building the VM, which fails on the zero-filled kernel (or, here, possibly on a missing /dev/kvm): SetupError.
        var start = new ProcessStartInfo(vmm!) { RedirectStandardError = true, ArgumentList = { "--config", path, "--no-setsid", "--no-boot" } };
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == (int)ExitReason.SetupError, $"exit status {process.ExitCode}: {stderr}");
    }

    [Fact]
    public void ExitReason_EveryValue_MapsToHowTheSiloSeesTheVmEnd()
    {
        var expected = new Dictionary<ExitReason, VmExitKind>
        {
            [ExitReason.PowerOff] = VmExitKind.PowerOff,
            [ExitReason.Reset] = VmExitKind.Reboot,
            [ExitReason.Killed] = VmExitKind.Killed,
            [ExitReason.ShutdownTimeout] = VmExitKind.Killed,
            [ExitReason.TripleFault] = VmExitKind.Crash,
            [ExitReason.GuestCrash] = VmExitKind.Crash,
            [ExitReason.EmulationError] = VmExitKind.Crash,
            [ExitReason.VmmError] = VmExitKind.Crash,
            [ExitReason.SetupError] = VmExitKind.Crash,
            [ExitReason.UsageError] = VmExitKind.Crash,
        };
        Assert.Equal(Enum.GetValues<ExitReason>().Order(), expected.Keys.Order());
        foreach (var (reason, kind) in expected)
        {
            var exit = KvmProcess.Map(ExitResult.For(reason, "vCPU 0: detail"));
            Assert.Equal(kind, exit.Kind);
            if (kind is VmExitKind.Crash or VmExitKind.Killed)
            {
                Assert.Contains($"{reason}: vCPU 0: detail", exit.Detail);
            }
        }
    }

    [Theory]
    [InlineData("159", VmExitKind.Crash, "killed by SIGSYS: it made a system call outside its seccomp allow-list")]
    [InlineData("137", VmExitKind.Crash, "killed by SIGKILL (by the kernel's OOM killer if it went past its cgroup's memory.max")]
    [InlineData("134", VmExitKind.Crash, "killed by signal 6")]
    [InlineData("14", VmExitKind.Killed, "Killed: formation-vmm ended without answering")]
    [InlineData("0", VmExitKind.PowerOff, "the guest powered off")]
    [InlineData("99", VmExitKind.Crash, "exited with status 99 without reporting why")]
    [InlineData(null, VmExitKind.Crash, "ended without reporting why (connection refused)")]
    [InlineData("garbage", VmExitKind.Crash, "ended without reporting why (connection refused)")]
    public void VmmThatDiedWithoutAnswering_IsDescribedFromItsWaitersStatus(string? status, VmExitKind kind, string detail)
    {
        var exit = KvmProcess.Describe(status, "connection refused");
        Assert.Equal(kind, exit.Kind);
        Assert.Contains(detail, exit.Detail);
    }

    [Fact]
    public void Silo_DoesNotCompileAgainstTheVmm()
    {
        var references = typeof(KvmDriver).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("Formation.Vmm.Protocol", references);
        Assert.DoesNotContain("Formation.Kvm.Native", references);
        Assert.DoesNotContain("formation-vmm", references);
    }
}

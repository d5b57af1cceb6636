using System.Buffers.Binary;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Platform;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Hypervisors;

/// <summary>
/// The kvm driver's half of snapshot and restore, against the real formation-vmm jailed as the driver runs it (the VM's
/// uid, seccomp, a cgroup): <see cref="KvmProcess.SnapshotAsync"/> writes a snapshot, and a launch with
/// <see cref="VmLaunch.RestoreFrom"/> starts a new VMM from it instead of booting.
/// </summary>
public sealed class KvmSnapshotTests : IDisposable
{
    private const string CgroupParent = "sb-formation-kvm-snap";
    private readonly TestDirectory _data = new("kvm-snap");
    private readonly KvmOptions _options = new() { Jail = new VmJailOptions { CgroupParent = CgroupParent } };

    /// <summary>A guest that counts at 0x300000 for ever (<c>incq 0x300000; jmp</c>), loaded as an ELF "kernel".</summary>
    private static readonly byte[] CountingKernel = KernelImages.Elf(0x1000000, [0x48, 0xff, 0x04, 0x25, 0x00, 0x00, 0x30, 0x00, 0xeb, 0xf6], 0x1000, 0x1000000);

    [Fact]
    public void Config_WithRestoreFrom_NamesTheSnapshotForFormationVmm()
    {
        var directory = new VmDirectory(_data.Path);
        var launch = Launch("vm-r") with { RestoreFrom = "/srv/formation/snapshots/s1" };
        var config = new KvmDriver(Options.Create(_options), NullLogger<KvmDriver>.Instance).Config(launch, directory);
        Assert.Equal("/srv/formation/snapshots/s1", VmmProtocol.ParseConfig(VmmProtocol.SerializeConfig(config)).RestoreFrom);
        Assert.Null(new KvmDriver(Options.Create(_options), NullLogger<KvmDriver>.Instance).Config(Launch("vm-b"), directory).RestoreFrom);
    }

    [Fact]
    public async Task SnapshotAsync_ThenLaunchWithRestoreFrom_TheJailedGuestCountsOnFromTheSnapshot()
    {
        Prerequisites.RequireKvm("formation-vmm runs its VMs on /dev/kvm");
        Prerequisites.Require(KvmDriver.FindBinary() is not null, "formation-vmm is not built next to formation-silo (the Silo project builds it)");
        Prerequisites.Require(Environment.UserName == "root", "the kvm driver's jail (--run-as, cgroups) needs root");
        var driver = new KvmDriver(Options.Create(_options), NullLogger<KvmDriver>.Instance);
        File.SetUnixFileMode(_data.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // the jailed VMM cannot walk into it

        var (first, firstDirectory) = await LaunchAsync(driver, Launch("snapa-" + Guid.NewGuid().ToString("N")[..8]));
        var snapshot = Path.Combine(_data.Path, "snapshot-1");
        await using (first)
        {
            await Task.Delay(300, TestContext.Current.CancellationToken);
            await first.PauseAsync(TestContext.Current.CancellationToken);
            PrepareSnapshotDirectory(snapshot, firstDirectory);
            await first.SnapshotAsync(snapshot, TestContext.Current.CancellationToken);
            Assert.Equal(VmExitKind.Killed, (await first.KillAsync(TestContext.Current.CancellationToken)).Kind);
        }

        var saved = Counter(snapshot);
        Assert.True(saved > 0, "the first guest never counted");

        var (second, secondDirectory) = await LaunchAsync(driver, Launch("snapb-" + Guid.NewGuid().ToString("N")[..8]) with { RestoreFrom = snapshot });
        var again = Path.Combine(_data.Path, "snapshot-2");
        await using (second)
        {
            Assert.False(await second.IsPausedAsync(TestContext.Current.CancellationToken));
            await Task.Delay(300, TestContext.Current.CancellationToken);
            await second.PauseAsync(TestContext.Current.CancellationToken);
            PrepareSnapshotDirectory(again, secondDirectory);
            await second.SnapshotAsync(again, TestContext.Current.CancellationToken);
            await second.KillAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(Counter(again) > saved, $"the restored guest's counter {Counter(again)} did not pass the snapshot's {saved}");
        foreach (var file in Directory.GetFiles(again))
        {
            Assert.Equal(0, FileOwner(file)); // made root's, so no VM can change a snapshot that restored VMs map
        }

        Assert.Empty(Directory.GetFileSystemEntries(secondDirectory.SnapshotStaging));
        Assert.Contains("seccomp", File.ReadAllText(secondDirectory.HypervisorLog));
    }

    private static VmLaunch Launch(string vmId) =>
        new(vmId, "snap", DriverNames.Kvm, 1, 64, "console=ttyS0", HasInitrd: false, HasDisk: false, null, [], Running: true);

    private async Task<(IVmProcess Process, VmDirectory Directory)> LaunchAsync(KvmDriver driver, VmLaunch launch)
    {
        var directory = VmDirectory.For(_data.Path, launch.VmId);
        Directory.CreateDirectory(directory.Path);
        await File.WriteAllBytesAsync(directory.Kernel, CountingKernel, TestContext.Current.CancellationToken);
        return (await driver.LaunchAsync(launch, directory, TestContext.Current.CancellationToken), directory);
    }

    /// <summary>What the silo's snapshot store hands the driver: an empty directory of root's, 0700, in root's 0700 folders.</summary>
    private static void PrepareSnapshotDirectory(string path, VmDirectory vm)
    {
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.NotNull(VmJail.RecordedUid(vm)); // the VMM runs as the VM's own uid, not root
    }

    private static long FileOwner(string path)
    {
        var stat = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(stat)!;
        var owner = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return long.Parse(owner, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static ulong Counter(string snapshot)
    {
        using var memory = File.OpenHandle(Path.Combine(snapshot, "memory.bin"));
        Span<byte> value = stackalloc byte[8];
        RandomAccess.Read(memory, value, 0x300000);
        return BinaryPrimitives.ReadUInt64LittleEndian(value);
    }

    public void Dispose() => _data.Dispose();
}

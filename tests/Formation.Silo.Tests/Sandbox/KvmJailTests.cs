using System.Globalization;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Platform;
using Formation.Silo.Vms;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Findings 6 and 8 for the kvm driver: a real guest's formation-vmm runs as the VM's own unprivileged uid with no
/// capabilities, under its seccomp allow-list (every thread), inside a cgroup sized from the VM; that uid cannot open
/// /dev/kvm or another VM's disk itself; a system call outside the allow-list kills the VMM with SIGSYS and the silo
/// says so; a restarted silo re-adopts a jailed VMM (whose vsock device keeps answering).
/// </summary>
[Trait("Category", "Slow")]
public sealed class KvmJailTests : IDisposable
{
    private const string CgroupParent = "sb-formation-kvm-vms";
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(4);
    private readonly TestDirectory _data = new("sb-kvm-data");
    private readonly KvmOptions _options = new() { Jail = new VmJailOptions { CgroupParent = CgroupParent } };

    [Fact]
    public async Task Launch_RealGuest_RunsAsItsOwnUidWithoutCapabilitiesUnderSeccompInItsCgroup()
    {
        var (driver, launch, directory) = await PrepareAsync(_options);
        await using var process = await driver.LaunchAsync(launch, directory, TestContext.Current.CancellationToken);
        try
        {
            await Eventually.TrueAsync(() => File.ReadAllText(directory.ConsoleLog).Contains("FORMATION-GUEST-READY", StringComparison.Ordinal),
                Boot, "the guest reports ready under the jail");

            var uid = VmJail.AllocateUid(directory, _options.Jail).ToString(CultureInfo.InvariantCulture);
            var tasks = Directory.GetDirectories($"/proc/{process.Pid}/task");
            Assert.True(tasks.Length > 3, $"formation-vmm has {tasks.Length} threads");
            foreach (var task in tasks)
            {
                // Every thread, not just the one that dropped privileges and installed the filter.
                var status = await File.ReadAllLinesAsync(Path.Combine(task, "status"), TestContext.Current.CancellationToken);
                string Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
                Assert.Equal(string.Join('\t', Enumerable.Repeat(uid, 4)), Field("Uid"));
                Assert.Equal(string.Join('\t', Enumerable.Repeat(uid, 4)), Field("Gid"));
                Assert.Equal("", Field("Groups"));
                Assert.Equal("2", Field("Seccomp")); // filter mode
                Assert.Equal("1", Field("NoNewPrivs"));
                Assert.Equal("0000000000000000", Field("CapEff"));
                Assert.Equal("0000000000000000", Field("CapPrm"));
            }

            var fds = Directory.GetFiles($"/proc/{process.Pid}/fd").Select(f => new FileInfo(f).LinkTarget).ToList();
            Assert.Contains("/dev/kvm", fds); // opened as root before the drop
            Assert.Contains("anon_inode:kvm-vm", fds);

            var cgroupLines = await File.ReadAllLinesAsync($"/proc/{process.Pid}/cgroup", TestContext.Current.CancellationToken);
            Assert.Contains(cgroupLines, l => l.EndsWith($"/{CgroupParent}/{launch.VmId}", StringComparison.Ordinal));
            Assert.Equal((launch.MemoryMiB + _options.MemoryOverheadMiB) << 20, ReadLimit("memory", "memory.max", "memory.limit_in_bytes", launch.VmId));
            Assert.Equal(512, ReadLimit("pids", "pids.max", "pids.max", launch.VmId));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory.Path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.ConsoleLog));

            // What a guest that took over its formation-vmm would hold: this uid. It cannot open /dev/kvm (or anything
            // else it was not handed), another VM's disk, or its own VM's directory.
            var other = VmDirectory.For(_data.Path, launch.VmId + "-b");
            Directory.CreateDirectory(other.Path);
            await File.WriteAllTextAsync(other.Disk, "the other tenant's data", TestContext.Current.CancellationToken);
            VmJail.Secure(other, VmJail.AllocateUid(other, _options.Jail));
            var attempt = await SandboxedBuild.RunAsync("setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", "sh", "-c",
                $"sh -c 'exec 3<>/dev/kvm' 2>/dev/null || echo kvm-refused; cat '{other.Disk}' 2>/dev/null || echo disk-refused; " +
                $"ls '{directory.Path}' >/dev/null 2>&1 || echo dir-refused");
            Assert.Equal(["kvm-refused", "disk-refused", "dir-refused"], attempt);
        }
        finally
        {
            await process.KillAsync(TestContext.Current.CancellationToken);
        }

        await Eventually.TrueAsync(() => !CgroupExists(launch.VmId), TimeSpan.FromSeconds(20), "the VM's cgroup is removed after the process ends");
    }

    [Fact]
    public async Task DeniedSystemCall_KillsTheVmmWithSigsys_AndTheDriverReportsItAsTheReason()
    {
        var options = new KvmOptions { Jail = _options.Jail, TestingSeccompProbe = true };
        var (driver, launch, directory) = await PrepareAsync(options);
        await using var process = await driver.LaunchAsync(launch, directory, TestContext.Current.CancellationToken);
        Assert.Equal(MachineState.Running, (await VmmControlClient.SendAsync(directory.ControlSocket, new InfoRequest(), TestContext.Current.CancellationToken)).State);
        Assert.False(process.Exited.IsCompleted);

        // The probe makes the jailed VMM call execve: the filter must end the whole process there.
        await SandboxedBuild.RunAsync("kill", "-USR2", process.Pid.ToString(CultureInfo.InvariantCulture));
        var exit = await process.Exited.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(VmExitKind.Crash, exit.Kind);
        Assert.Contains("SIGSYS", exit.Detail);
        Assert.Contains("seccomp allow-list", exit.Detail);
        Assert.Equal("159", File.ReadAllText(directory.File(KvmDriver.ExitStatusFile)).Trim()); // 128 + SIGSYS
        Assert.Contains("testing seccomp probe: calling execve", File.ReadAllText(directory.HypervisorLog));
        Assert.DoesNotContain("execve returned", File.ReadAllText(directory.HypervisorLog));
        Assert.False(ProcessInfo.IsAlive(process.Pid));
        await Eventually.TrueAsync(() => !CgroupExists(launch.VmId), TimeSpan.FromSeconds(20), "the VM's cgroup is removed after the process ends");
    }

    [Fact]
    public async Task JailedVmm_AdoptedByARestartedSilo_IsStillControlled_AndItsEndIsReported()
    {
        var (driver, launch, directory) = await PrepareAsync(_options);
        var launched = await driver.LaunchAsync(launch, directory, TestContext.Current.CancellationToken);
        var pid = launched.Pid;
        await launched.DisposeAsync(); // the silo that started it is gone; the VMM is not its child and keeps running

        var restarted = new KvmDriver(Options.Create(_options), NullLogger<KvmDriver>.Instance);
        await using var adopted = await restarted.AdoptAsync(launch, directory, TestContext.Current.CancellationToken);
        Assert.NotNull(adopted);
        Assert.Equal(pid, adopted.Pid);
        await adopted.PauseAsync(TestContext.Current.CancellationToken);
        Assert.True(await adopted.IsPausedAsync(TestContext.Current.CancellationToken));
        await adopted.ResumeAsync(TestContext.Current.CancellationToken);
        Assert.False(await adopted.IsPausedAsync(TestContext.Current.CancellationToken));

        // The adopted VMM's vsock device still answers through the guest: nothing listens on port 5252 in this image, so
        // the guest kernel refuses the connection (RST) — a refusal, not the device's 10 s timeout.
        await Eventually.TrueAsync(() => File.ReadAllText(directory.ConsoleLog).Contains("FORMATION-GUEST-READY", StringComparison.Ordinal),
            Boot, "the adopted guest reports ready");
        var refused = await Assert.ThrowsAsync<IOException>(() => HybridVsock.ConnectAsync(directory.VsockSocket, 5252, TestContext.Current.CancellationToken));
        Assert.Contains("did not accept vsock port 5252", refused.Message);
        Assert.DoesNotContain("did not accept port 5252 within", File.ReadAllText(directory.HypervisorLog));

        var exit = await adopted.KillAsync(TestContext.Current.CancellationToken);
        Assert.Equal(VmExitKind.Killed, exit.Kind);
        await Eventually.TrueAsync(() => !CgroupExists(launch.VmId), TimeSpan.FromSeconds(20), "the VM's cgroup is removed after the process ends");
    }

    private async Task<(KvmDriver Driver, VmLaunch Launch, VmDirectory Directory)> PrepareAsync(KvmOptions options)
    {
        Prerequisites.RequireKvm("formation-vmm runs its VMs on /dev/kvm");
        Prerequisites.Require(KvmDriver.FindBinary() is not null, "formation-vmm is not built next to formation-silo (the Silo project builds it)");
        TestEnvironment.RequireBuilder();
        var kernel = TestEnvironment.RequireFormationKernel();
        using var build = new SandboxedBuild();
        var manifest = await build.BuildAsync("NAME jailed\nFROM tiny\nENTRYPOINT [\"sleep\", \"1000\"]\n");
        var image = (await build.Store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!;
        var vmId = "sbkvm-" + Guid.NewGuid().ToString("N")[..8];
        var directory = VmDirectory.For(_data.Path, vmId);
        await VmArtifacts.PrepareAsync(image, kernel, 1, directory, TestContext.Current.CancellationToken);
        var launch = new VmLaunch(vmId, "jailed", DriverNames.Kvm, 1, 128, "console=ttyS0", HasInitrd: true, HasDisk: false, null, [], Running: true);
        return (new KvmDriver(Options.Create(options), NullLogger<KvmDriver>.Instance), launch, directory);
    }

    private static bool CgroupExists(string vmId) =>
        new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu" }
            .Any(root => Directory.Exists(Path.Combine(root, CgroupParent, vmId)));

    private static long ReadLimit(string v1Controller, string v2File, string v1File, string vmId)
    {
        var v2 = Path.Combine("/sys/fs/cgroup", CgroupParent, vmId, v2File);
        var path = File.Exists(v2) ? v2 : Path.Combine("/sys/fs/cgroup", v1Controller, CgroupParent, vmId, v1File);
        return long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
    }

    public void Dispose() => _data.Dispose();
}

using System.Globalization;
using Formation.Silo.Hypervisors;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Platform;
using Formation.Silo.Vms;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Findings 6 and 8 for qemu: a real TCG guest's QEMU runs as the VM's own unprivileged uid, under its seccomp
/// sandbox, chrooted into an empty directory, inside a cgroup sized from the VM; its files are closed to other
/// users, and a process holding one VM's uid (what a guest that broke into its QEMU would be) cannot read another
/// VM's disk or its own VM's directory.
/// </summary>
[Trait("Category", "Slow")]
public sealed class QemuJailTests : IDisposable
{
    private const string CgroupParent = "sb-formation-vms";
    private readonly TestDirectory _data = new("sb-vm-data");
    private readonly QemuOptions _options = new() { Accelerator = "tcg", Jail = new VmJailOptions { CgroupParent = CgroupParent } };

    [Fact]
    public async Task Launch_TcgGuest_RunsAsItsOwnUidUnderSeccompInAnEmptyChrootAndItsCgroup()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        var kernel = TestEnvironment.RequireFormationKernel();
        using var build = new SandboxedBuild();
        var manifest = await build.BuildAsync("NAME jailed\nFROM tiny\nENTRYPOINT [\"sleep\", \"1000\"]\n");
        var image = (await build.Store.GetAsync(manifest.Digest, TestContext.Current.CancellationToken))!;
        var vmId = "sbvm-" + Guid.NewGuid().ToString("N")[..8];
        var directory = VmDirectory.For(_data.Path, vmId);
        await VmArtifacts.PrepareAsync(image, kernel, 1, directory, TestContext.Current.CancellationToken);
        var launch = new VmLaunch(vmId, "jailed", DriverNames.Qemu, 1, 128, "console=ttyS0", HasInitrd: true, HasDisk: false, null, [], Running: true);
        var driver = new QemuDriver(Options.Create(_options), HostFacts.Probe(_data.Path), NullLogger<QemuDriver>.Instance);

        await using var process = await driver.LaunchAsync(launch, directory, TestContext.Current.CancellationToken);
        try
        {
            await Eventually.TrueAsync(() => File.ReadAllText(directory.ConsoleLog).Contains("FORMATION-GUEST-READY", StringComparison.Ordinal),
                TimeSpan.FromSeconds(120), "the guest reports ready");

            var uid = VmJail.AllocateUid(directory, _options.Jail);
            Assert.InRange(uid, _options.Jail.UidBase, _options.Jail.UidBase + _options.Jail.UidCount - 1);
            var status = await File.ReadAllLinesAsync($"/proc/{process.Pid}/status", TestContext.Current.CancellationToken);
            string Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
            Assert.Equal(string.Join('\t', Enumerable.Repeat(uid.ToString(CultureInfo.InvariantCulture), 4)), Field("Uid"));
            Assert.Equal(string.Join('\t', Enumerable.Repeat(uid.ToString(CultureInfo.InvariantCulture), 4)), Field("Gid"));
            Assert.All(Field("Groups").Split(' ', StringSplitOptions.RemoveEmptyEntries), g => Assert.Equal(uid.ToString(CultureInfo.InvariantCulture), g));
            Assert.Equal("2", Field("Seccomp")); // filter mode
            Assert.Equal("0000000000000000", Field("CapEff"));
            Assert.Equal(directory.File("jail"), new DirectoryInfo($"/proc/{process.Pid}/root").LinkTarget);
            Assert.Empty(Directory.EnumerateFileSystemEntries(directory.File("jail")));

            var cgroupLines = await File.ReadAllLinesAsync($"/proc/{process.Pid}/cgroup", TestContext.Current.CancellationToken);
            Assert.Contains(cgroupLines, l => l.EndsWith($"/{CgroupParent}/{vmId}", StringComparison.Ordinal));
            Assert.Equal(expected: (128L + 192 + 128) << 20, ReadLimit("memory", "memory.max", "memory.limit_in_bytes", vmId));
            Assert.Equal(512, ReadLimit("pids", "pids.max", "pids.max", vmId));

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory.Path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.ConsoleLog));

            // A second VM's disk, and this VM's own directory, as seen by this VM's uid.
            var other = VmDirectory.For(_data.Path, vmId + "-b");
            Directory.CreateDirectory(other.Path);
            await File.WriteAllTextAsync(other.Disk, "the other tenant's data", TestContext.Current.CancellationToken);
            var otherUid = VmJail.AllocateUid(other, _options.Jail);
            VmJail.Secure(other, otherUid);
            Assert.NotEqual(uid, otherUid);
            var attempt = await SandboxedBuild.RunAsync("setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", "sh", "-c",
                $"cat '{other.Disk}' 2>/dev/null || echo disk-refused; ls '{directory.Path}' >/dev/null 2>&1 || echo dir-refused");
            Assert.Equal(["disk-refused", "dir-refused"], attempt);
        }
        finally
        {
            await process.KillAsync(TestContext.Current.CancellationToken);
        }

        await Eventually.TrueAsync(() => !SandboxedCgroupExists(vmId), TimeSpan.FromSeconds(20), "the VM's cgroup is removed after the process ends");
    }

    [Fact]
    public void AllocateUid_TwoVms_GetDifferentUidsAndAVmKeepsItsOwn()
    {
        var a = VmDirectory.For(_data.Path, "sb-a");
        var b = VmDirectory.For(_data.Path, "sb-b");
        Directory.CreateDirectory(a.Path);
        Directory.CreateDirectory(b.Path);

        var first = VmJail.AllocateUid(a, _options.Jail);
        var second = VmJail.AllocateUid(b, _options.Jail);

        Assert.NotEqual(first, second);
        Assert.Equal(first, VmJail.AllocateUid(a, _options.Jail));
        Directory.Delete(a.Path, recursive: true);
        var c = VmDirectory.For(_data.Path, "sb-c");
        Directory.CreateDirectory(c.Path);
        Assert.Equal(first, VmJail.AllocateUid(c, _options.Jail)); // a deleted VM's uid is free again
    }

    private static bool SandboxedCgroupExists(string vmId) =>
        new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct" }
            .Any(root => Directory.Exists(Path.Combine(root, CgroupParent, vmId)));

    private static long ReadLimit(string v1Controller, string v2File, string v1File, string vmId)
    {
        var v2 = Path.Combine("/sys/fs/cgroup", CgroupParent, vmId, v2File);
        var path = File.Exists(v2) ? v2 : Path.Combine("/sys/fs/cgroup", v1Controller, CgroupParent, vmId, v1File);
        return long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
    }

    public void Dispose() => _data.Dispose();
}

using System.Diagnostics;
using Formation.Silo.Metrics;
using Formation.Silo.Platform;

namespace Formation.Silo.Tests.Platform;

/// <summary>
/// A real host cgroup: a process started in it is in a cgroup of its own with CPU accounting (v2 <c>cpu.stat</c>, or on
/// a v1 host the cpuacct hierarchy as well as pids, memory and cpu), so the metrics read its CPU time from there, and
/// nothing of the cgroup is left once it is disposed.
/// </summary>
public sealed class HostCgroupTests
{
    private const string Parent = "formation-test-cgroup";

    [Fact]
    public async Task Create_ProcessInside_ItsCpuTimeIsReadFromItsOwnCgroup()
    {
        Prerequisites.RequireRoot("creating cgroups");
        Prerequisites.Require(HostCgroup.IsAvailable, "this host has no pids, memory and cpu cgroup controllers");
        var name = "cg-" + Guid.NewGuid().ToString("N")[..8];
        var cgroup = HostCgroup.Create(Parent, name, new CgroupLimits(64, 64L << 20, 1));
        try
        {
            // A shell that burns some CPU, then waits to be read.
            using var process = Process.Start(new ProcessStartInfo("/bin/sh",
                cgroup.EnterArguments("/bin/sh", ["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo spun; exec sleep 60"]))
            {
                RedirectStandardOutput = true,
            })!;
            Assert.Equal("spun", await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken));

            var membership = CgroupReader.ParseMembership(await File.ReadAllTextAsync($"/proc/{process.Id}/cgroup", TestContext.Current.CancellationToken));
            var cpu = new CgroupReader().ReadCpu(membership, name, out var missing);

            Assert.True(cpu is not null, $"no CPU time from the process's own cgroup: {missing}");
            Assert.InRange(cpu.Value.UsageSeconds, 0.01, 120);
            if (Directory.Exists("/sys/fs/cgroup/cpuacct") && !File.Exists("/sys/fs/cgroup/cgroup.controllers"))
            {
                Assert.Contains(membership, m => m.Controllers.Contains("cpuacct") && m.Path.EndsWith($"/{Parent}/{name}", StringComparison.Ordinal));
            }
        }
        finally
        {
            cgroup.Dispose();
        }

        foreach (var root in new[] { "/sys/fs/cgroup", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct" })
        {
            Assert.False(Directory.Exists(Path.Combine(root, Parent, name)), $"{root}/{Parent}/{name} outlived the cgroup");
        }

        HostCgroup.Remove("", Parent);
    }
    [Fact]
    public async Task Enter_HeldProcess_ItsLaterChildrenAreInside_AndKillAndRemoveLaterLeavesNothing()
    {
        Prerequisites.RequireRoot("creating cgroups");
        Prerequisites.Require(HostCgroup.IsAvailable, "this host has no pids, memory and cpu cgroup controllers");
        var name = "cg-" + Guid.NewGuid().ToString("N")[..8];
        var cgroup = HostCgroup.Create(Parent, name, new CgroupLimits(64, 64L << 20, 1));
        // Held on its stdin, as the build sandbox's child waits for its go-ahead; then it forks a sleeper and waits.
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "read go; sleep 600 & echo $!; wait"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;

        cgroup.Enter(process.Id);
        await process.StandardInput.WriteLineAsync("go");
        await process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
        var child = int.Parse((await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken))!, System.Globalization.CultureInfo.InvariantCulture);

        foreach (var procs in cgroup.ProcsFiles)
        {
            var members = (await File.ReadAllLinesAsync(procs, TestContext.Current.CancellationToken)).ToHashSet();
            Assert.Contains(process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), members);
            Assert.Contains(child.ToString(System.Globalization.CultureInfo.InvariantCulture), members); // born inside
        }

        cgroup.KillAndRemoveLater();

        Assert.True(process.WaitForExit(5000), "the held shell outlived KillAndRemoveLater");
        Assert.False(ProcessInfo.IsAlive(child), "the child born inside outlived KillAndRemoveLater");
        var directories = cgroup.ProcsFiles.Select(Path.GetDirectoryName).ToList();
        await Eventually.TrueAsync(() => directories.All(d => !Directory.Exists(d)), TimeSpan.FromSeconds(15), "the emptied cgroup is removed in the background");
        HostCgroup.Remove("", Parent);
    }
}

using Formation.Images;
using Formation.Silo.Platform;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Finding 5 (disk): a build writes onto a file system as large as its Formfile's DISK (or the Pack options' cap
/// when it sets none). A <c>dd</c> past it fails the step with a message naming the limit; the partial layer is gone
/// afterwards and the build's disk, kept for the next build, is empty again (the host's disk keeps nothing of it),
/// so the next build — which gets the same disk — again has the whole limit and nothing of the last one.
/// </summary>
public class BuildDiskTests
{
    [Fact]
    public async Task Run_DdBeyondTheCap_FailsNamingTheLimitAndLeavesNothing()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.BuildDiskMaxBytes = 64L << 20);

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            build.BuildAsync("NAME fill\nFROM tiny\nRUN dd if=/dev/zero of=/big bs=1M count=400\n"));

        Assert.Equal(2, ex.Failure.Step);
        Assert.Contains("ran out of disk space: a build may write at most 64 MiB (Formation:Pack:BuildDiskMaxBytes; the Formfile sets no DISK)", ex.Failure.Message);
        AssertNothingLeft(build);
    }

    [Fact]
    public async Task Run_StepsOfOneBuild_ShareOneLimit()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.BuildDiskMaxBytes = 64L << 20);

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            build.BuildAsync("NAME share\nFROM tiny\nRUN dd if=/dev/zero of=/a bs=1M count=40\nRUN dd if=/dev/zero of=/b bs=1M count=40\n"));

        Assert.Equal(3, ex.Failure.Step); // each step alone fits; together they do not
        Assert.Contains("a build may write at most 64 MiB", ex.Failure.Message);
        AssertNothingLeft(build);
    }

    [Fact]
    public async Task Run_DdBeyondTheFormfilesDisk_FailsNamingDisk()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild();

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            build.BuildAsync("NAME fill-disk\nFROM tiny\nDISK 1\nRUN dd if=/dev/zero of=/big bs=4M count=300\n"));

        Assert.Contains("a build may write at most 1 GiB (DISK 1 in the Formfile)", ex.Failure.Message);
        AssertNothingLeft(build);
    }

    [Fact]
    public async Task Run_WithinTheLimit_KeepsTheFilesOwnersAndModesInTheLayer()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.BuildDiskMaxBytes = 64L << 20);

        var manifest = await build.BuildAsync(
            "NAME fits\nFROM tiny\nRUN dd if=/dev/zero of=/data bs=1M count=8 && cp /bin/busybox /s && chmod 4755 /s && rm /etc/profile && ln /data /data2\n");

        var data = Directory.EnumerateFiles(build.LayersDirectory, "data", SearchOption.AllDirectories).Single();
        Assert.Equal(8L << 20, new FileInfo(data).Length);
        var stat = await SandboxedBuild.RunAsync("stat", "-c", "%u %a %h", Path.Combine(Path.GetDirectoryName(data)!, "s"), data);
        Assert.Equal([$"{build.Options.BuildUidBase} 4755 1", $"{build.Options.BuildUidBase} 644 2"], stat);
        var listing = await build.ListImageAsync(manifest);
        Assert.Contains("-rwsr-xr-x 0:0 /s", listing);
        Assert.DoesNotContain(listing, l => l.EndsWith(" /etc/profile", StringComparison.Ordinal)); // the whiteout survived the copy
        AssertNothingLeft(build);
    }

    [Fact]
    public async Task Run_AfterABuildFilledItsDisk_TheNextBuildGetsTheSameDiskEmptyWithTheWholeLimit()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.BuildDiskMaxBytes = 64L << 20);
        await Assert.ThrowsAsync<ImageBuildException>(() =>
            build.BuildAsync("NAME fill\nFROM tiny\nRUN dd if=/dev/zero of=/big bs=1M count=400\n"));
        var disk = Assert.Single(build.DiskPool.IdleMountPoints);

        // 56 of the 64 MiB: fails unless the first build's 64 MiB were given back.
        await build.BuildAsync("NAME again\nFROM tiny\nRUN dd if=/dev/zero of=/again bs=1M count=56 && rm /again\n");

        Assert.Equal([disk], build.DiskPool.IdleMountPoints);
        AssertNothingLeft(build);
    }

    [Fact]
    public async Task Return_OfADiskThatCannotBeEmptied_RemovesItInsteadOfKeepingIt()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.BuildDiskMaxBytes = 64L << 20);
        var disk = await build.DiskPool.TakeAsync(64L << 20, TestContext.Current.CancellationToken);
        var stuck = Path.Combine(disk.MountPoint, "stuck");
        await File.WriteAllTextAsync(stuck, "left by a build", TestContext.Current.CancellationToken);
        await SandboxedBuild.RunAsync("chattr", "+i", stuck); // root of the host can; a step cannot (no CAP_LINUX_IMMUTABLE)

        await build.DiskPool.ReturnAsync(disk);

        Assert.Empty(build.DiskPool.IdleMountPoints);
        Assert.Empty(HostMounts.Under(disk.Directory));
        Assert.False(Directory.Exists(disk.Directory));
    }

    [Fact]
    public async Task Build_AfterABuilderWasKilledWithItsDiskMounted_UnmountsAndRemovesIt()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => o.BuildDiskMaxBytes = 64L << 20);
        await build.BuildAsync("NAME first\nFROM tiny\n"); // makes the data directory
        using var gone = System.Diagnostics.Process.Start("true")!;
        await gone.WaitForExitAsync(TestContext.Current.CancellationToken);
        var stale = Path.Combine(build.PackDirectory, "tmp", $"{gone.Id}-build-stale");
        Directory.CreateDirectory(Path.Combine(stale, "disk"));
        await using (var image = File.Create(Path.Combine(stale, "disk.img")))
        {
            image.SetLength(32L << 20);
        }

        await SandboxedBuild.RunAsync("mkfs.ext4", "-q", "-F", Path.Combine(stale, "disk.img"));
        await SandboxedBuild.RunAsync("mount", "-o", "loop", Path.Combine(stale, "disk.img"), Path.Combine(stale, "disk"));
        Assert.NotEmpty(HostMounts.Under(stale));
        var pooled = Path.Combine(build.Options.BuildDiskDirectory, $"{gone.Id}-disk-stale"); // its idle disk in the pool
        Directory.CreateDirectory(Path.Combine(pooled, "disk"));
        File.Copy(Path.Combine(stale, "disk.img"), Path.Combine(pooled, "disk.img"));
        await SandboxedBuild.RunAsync("mount", "-o", "loop", Path.Combine(pooled, "disk.img"), Path.Combine(pooled, "disk"));
        Assert.NotEmpty(HostMounts.Under(pooled));

        await build.BuildAsync("NAME second\nFROM tiny\nRUN echo second > /s\n");

        Assert.False(Directory.Exists(stale));
        Assert.False(Directory.Exists(pooled));
        Assert.Empty(HostMounts.Under(pooled));
        AssertNothingLeft(build);
    }

    private static void AssertNothingLeft(SandboxedBuild build)
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(build.PackDirectory, "tmp")));
        Assert.Empty(HostMounts.Under(build.PackDirectory));
        Assert.Empty(Directory.EnumerateFiles(build.LayersDirectory, "big", SearchOption.AllDirectories));
        Assert.Empty(build.LeftoverCgroups());
        Assert.All(build.DiskPool.IdleMountPoints, disk => Assert.Equal(["lost+found"], Directory.EnumerateFileSystemEntries(disk).Select(Path.GetFileName)));
    }
}

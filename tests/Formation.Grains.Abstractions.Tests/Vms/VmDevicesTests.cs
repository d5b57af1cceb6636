using Formation.Errors;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Vms;

public sealed class VmDevicesTests
{
    [Theory]
    [InlineData("512M", 512)]
    [InlineData("10G", 10 * 1024)]
    [InlineData("10g", 10 * 1024)]
    [InlineData("2GiB", 2 * 1024)]
    [InlineData("1T", 1024 * 1024)]
    [InlineData(" 64MB ", 64)]
    public void TryParseSize_GoodText_GivesMiB(string text, long mib)
    {
        Assert.True(VmDevices.TryParseSize(text, out var parsed, out var problem), problem);
        Assert.Equal(mib, parsed);
    }

    [Theory]
    [InlineData("", "is not a size")]
    [InlineData("10", "is not a size")]
    [InlineData("G", "is not a size")]
    [InlineData("1.5G", "is not a size")]
    [InlineData("-1G", "is not a size")]
    [InlineData("10K", "is not a size")]
    [InlineData("0M", "is empty")]
    [InlineData("65T", "larger than the 64 TiB")]
    [InlineData("99999999999999999999G", "larger than")]
    [InlineData("9223372036854775807T", "larger than")]
    public void TryParseSize_BadText_SaysWhy(string text, string why)
    {
        Assert.False(VmDevices.TryParseSize(text, out _, out var problem));
        Assert.Contains(why, problem);
    }

    [Fact]
    public void ParseSize_BadText_IsAnInvalidArgumentQuotingTheForm()
    {
        var ex = Assert.Throws<FormationException>(() => VmDevices.ParseSize("ten gigs"));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("e.g. 512M or 10G", ex.Message);
    }

    [Fact]
    public void NextDiskId_TakesTheLowestFreeIndex()
    {
        var spec = Spec() with { ExtraDisks = [new VmDisk("disk1", 1), new VmDisk("disk3", 1)] };
        Assert.Equal("disk2", VmDevices.NextDiskId(spec, "v"));
        Assert.Equal("disk1", VmDevices.NextDiskId(Spec(), "v"));
    }

    [Fact]
    public void NextDiskId_AtTheLimit_IsAConflict()
    {
        var spec = Spec() with { ExtraDisks = [.. Enumerable.Range(1, VmDevices.MaxDisks).Select(i => new VmDisk($"disk{i}", 1))] };
        var ex = Assert.Throws<FormationException>(() => VmDevices.NextDiskId(spec, "v"));
        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Contains($"has {VmDevices.MaxDisks} added disks", ex.Message);
    }

    [Fact]
    public void NextNicId_AtTheLimit_IsAConflict()
    {
        var spec = Spec() with { ExtraNics = [.. Enumerable.Range(1, VmDevices.MaxNics).Select(i => new VmNic($"nic{i}"))] };
        Assert.Throws<FormationException>(() => VmDevices.NextNicId(spec, "v"));
        Assert.Equal("nic1", VmDevices.NextNicId(Spec(), "v"));
    }

    [Theory]
    [InlineData("disk", "disk1", 1)]
    [InlineData("disk", "disk12", 12)]
    [InlineData("disk", "disk0", 0)]
    [InlineData("disk", "disk01", 0)]
    [InlineData("disk", "disk", 0)]
    [InlineData("disk", "nic1", 0)]
    [InlineData("nic", "nic3", 3)]
    public void IndexOf_OnlyCanonicalIds(string prefix, string id, int index) => Assert.Equal(index, VmDevices.IndexOf(prefix, id));

    [Fact]
    public void ResizeProblem_ShrinkAndGrowBackAreAllowed_BeyondBootOrBelowMinimumAreNot()
    {
        Assert.Null(VmDevices.ResizeProblem(512, 128));
        Assert.Null(VmDevices.ResizeProblem(512, 512));
        Assert.Contains("below the 64 MiB", VmDevices.ResizeProblem(512, 32));
        Assert.Contains("needs memory hotplug", VmDevices.ResizeProblem(512, 1024));
    }

    [Fact]
    public void Spec_FromBeforeDevices_HasNoneAndItsFullMemory()
    {
        var spec = Spec();
        Assert.Empty(spec.Disks);
        Assert.Empty(spec.Nics);
        Assert.Equal(256, spec.MemoryTargetMiB);
        Assert.Equal(128, (spec with { BalloonMiB = 128 }).MemoryTargetMiB);
    }

    private static VmSpec Spec() => new("v", 1, 256, 1, null, null);
}

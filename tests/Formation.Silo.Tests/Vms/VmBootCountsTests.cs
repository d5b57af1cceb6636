using Formation.Silo.Hypervisors;
using Formation.Silo.Vms;

namespace Formation.Silo.Tests.Vms;

/// <summary>A VM's boot counts kept in its directory, so an adopting silo carries on from them.</summary>
public sealed class VmBootCountsTests : IDisposable
{
    private readonly TestDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void WriteThenRead_GivesTheCountsBack_ANewDirectoryOrABrokenFileGivesZeros()
    {
        var directory = new VmDirectory(Path.Combine(_data.Path, "vm-1"));
        Directory.CreateDirectory(directory.Path);
        Assert.Equal(new VmBootCounts(0, 0), VmBootCounts.Read(directory));

        new VmBootCounts(7, 2).Write(directory);
        Assert.Equal(new VmBootCounts(7, 2), VmBootCounts.Read(directory));
        Assert.False(File.Exists(directory.File("boots.json.tmp")));

        File.WriteAllText(directory.File("boots.json"), "{ not json");
        Assert.Equal(new VmBootCounts(0, 0), VmBootCounts.Read(directory));
    }
}

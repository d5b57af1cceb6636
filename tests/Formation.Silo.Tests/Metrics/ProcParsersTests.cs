using Formation.Silo.Metrics;

namespace Formation.Silo.Tests.Metrics;

/// <summary>The /proc parsers against fixture files.</summary>
public sealed class ProcParsersTests
{
    [Fact]
    public void ParseStat_Fixture_ReadsTheAggregateLineInSecondsAndCountsCpus()
    {
        var (cpu, count) = ProcParsers.ParseStat(Fixture.Read("proc-stat.txt"));

        Assert.Equal(2, count);
        Assert.Equal(133.29, cpu.User, 6);
        Assert.Equal(305.13, cpu.Nice, 6);
        Assert.Equal(200.03, cpu.System, 6);
        Assert.Equal(197.77, cpu.Idle, 6);
        Assert.Equal(4.91, cpu.IoWait, 6);
        Assert.Equal(1.70, cpu.SoftIrq, 6);
        Assert.Equal(0.07, cpu.Steal, 6);
        Assert.Equal(cpu.Total - cpu.Idle - cpu.IoWait, cpu.Busy, 6);
        Assert.Equal(["user", "nice", "system", "idle", "iowait", "interrupt", "steal"], cpu.Modes().Select(m => m.Mode));
    }

    [Theory]
    [InlineData("intr 1 2 3\n")]
    [InlineData("cpu  1 2\n")]
    [InlineData("cpu  1 2 x 4\n")]
    public void ParseStat_Malformed_SaysWhatIsWrong(string text)
    {
        var ex = Assert.Throws<FormatException>(() => ProcParsers.ParseStat(text));
        Assert.Contains("/proc/stat", ex.Message);
    }

    [Fact]
    public void ParseLoadAverage_Fixture_ReadsTheThreeAverages()
    {
        Assert.Equal(new LoadAverage(6.13, 2.79, 1.14), ProcParsers.ParseLoadAverage(Fixture.Read("proc-loadavg.txt")));
        Assert.Throws<FormatException>(() => ProcParsers.ParseLoadAverage("1.0 2.0\n"));
    }

    [Fact]
    public void ParseMemInfo_Fixture_ReadsBytesAndUsedIsTotalLessAvailable()
    {
        var memory = ProcParsers.ParseMemInfo(Fixture.Read("proc-meminfo.txt"));

        Assert.Equal(24683748L * 1024, memory.Total);
        Assert.Equal(23595216L * 1024, memory.Available);
        Assert.Equal(22570668L * 1024, memory.Free);
        Assert.Equal((24683748L - 23595216L) * 1024, memory.Used);
    }

    [Fact]
    public void ParseMemInfo_KernelWithoutMemAvailable_FallsBackToFreeBuffersAndCached()
    {
        var memory = ProcParsers.ParseMemInfo(Fixture.Read("proc-meminfo-old-kernel.txt"));

        Assert.Equal((512000L + 102400 + 204800) * 1024, memory.Available);
        Assert.Throws<FormatException>(() => ProcParsers.ParseMemInfo("MemFree: 1 kB\n"));
    }

    [Fact]
    public void ParseNetDev_Fixture_ReadsEveryInterfaceAndBothDirections()
    {
        var interfaces = ProcParsers.ParseNetDev(Fixture.Read("proc-net-dev.txt")).ToDictionary(i => i.Name);

        Assert.Equal(["lo", "eth0", "fbr1a2b3c4d", "ftvm-abc123"], interfaces.Keys);
        var eth = interfaces["eth0"];
        Assert.Equal(new InterfaceCounters("eth0", 392754361, 14333, 2, 5, 612431, 8130, 1, 3), eth);

        // A counter past 32 bits, and an interface name with no space after the colon.
        Assert.Equal(9000000000, interfaces["ftvm-abc123"].TransmitBytes);
        Assert.Equal(6000000, interfaces["ftvm-abc123"].TransmitPackets);
    }

    [Fact]
    public void ParseNetDev_TruncatedLine_SaysWhichInterface()
    {
        var ex = Assert.Throws<FormatException>(() => ProcParsers.ParseNetDev("  eth9: 1 2 3\n"));
        Assert.Contains("eth9", ex.Message);
    }

    [Fact]
    public void ParseDiskStats_Fixture_FindsTheDeviceBySectorsOf512Bytes()
    {
        var text = Fixture.Read("proc-diskstats.txt");

        Assert.Equal(new DiskCounters(2690000L * 512, 9144000L * 512, 43300, 20800), ProcParsers.ParseDiskStats(text, 254, 1));
        Assert.Equal(new DiskCounters(80 * 512, 16 * 512, 10, 2), ProcParsers.ParseDiskStats(text, 259, 0));
        Assert.Null(ProcParsers.ParseDiskStats(text, 8, 0));
    }

    [Theory]
    [InlineData("/var/lib/formation/vms/vm-1", "/var/lib/formation", 259, 0, "xfs")]
    [InlineData("/var/lib/formation", "/var/lib/formation", 259, 0, "xfs")]
    [InlineData("/var/lib/formation/tmp/x", "/var/lib/formation/tmp", 0, 45, "tmpfs")]
    [InlineData("/var/lib/formationx", "/", 254, 1, "ext4")]
    [InlineData("/srv/my data/formation", "/srv/my data", 259, 0, "xfs")]
    public void FindMount_Fixture_TakesTheLongestMountAbove(string path, string mount, int major, int minor, string type)
    {
        var found = ProcParsers.FindMount(Fixture.Read("proc-mountinfo.txt"), path);

        Assert.NotNull(found);
        Assert.Equal((mount, major, minor, type), (found.Path, found.Major, found.Minor, found.FileSystem));
    }

    [Fact]
    public void ParseProcessStat_CommandWithSpacesAndParentheses_CountsFieldsFromTheLastParenthesis()
    {
        var stat = ProcParsers.ParseProcessStat(Fixture.Read("proc-pid-stat.txt"), pageSize: 4096);

        Assert.Equal(12.50, stat.UserSeconds, 6);
        Assert.Equal(3.75, stat.SystemSeconds, 6);
        Assert.Equal(16.25, stat.CpuSeconds, 6);
        Assert.Equal(25600L * 4096, stat.ResidentBytes);
        Assert.Equal(987654, stat.StartTicks);
    }

    [Fact]
    public void ParseProcessStat_Truncated_IsAFormatError()
    {
        Assert.Throws<FormatException>(() => ProcParsers.ParseProcessStat("12 (x) S 1 2 3", 4096));
        Assert.Throws<FormatException>(() => ProcParsers.ParseProcessStat("12 x S 1 2 3", 4096));
    }

    [Fact]
    public void ParseProcessIo_Fixture_ReadsBlockLayerBytesAndCalls()
    {
        Assert.Equal(new DiskCounters(409600, 8192, 10, 4), ProcParsers.ParseProcessIo(Fixture.Read("proc-pid-io.txt")));
        Assert.Throws<FormatException>(() => ProcParsers.ParseProcessIo("rchar: 1\n"));
    }

    [Fact]
    public void RealProcFiles_OfThisHost_Parse()
    {
        var (cpu, count) = ProcParsers.ParseStat(File.ReadAllText("/proc/stat"));
        Assert.True(count >= 1 && cpu.Total > 0);
        Assert.True(ProcParsers.ParseMemInfo(File.ReadAllText("/proc/meminfo")).Total > 0);
        Assert.Contains(ProcParsers.ParseNetDev(File.ReadAllText("/proc/net/dev")), i => i.Name == "lo");
        Assert.NotNull(ProcParsers.FindMount(File.ReadAllText("/proc/self/mountinfo"), AppContext.BaseDirectory));
        var self = ProcParsers.ParseProcessStat(File.ReadAllText("/proc/self/stat"), Environment.SystemPageSize);
        Assert.True(self.ResidentBytes > 0 && self.CpuSeconds > 0);
    }
}

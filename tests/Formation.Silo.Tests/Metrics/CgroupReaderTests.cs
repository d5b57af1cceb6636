using Formation.Silo.Metrics;

namespace Formation.Silo.Tests.Metrics;

/// <summary>A VM's CPU from its cgroup: v2 cpu.stat, v1 cpuacct (mounted alone or with cpu), and the cases that fall back.</summary>
public sealed class CgroupReaderTests : IDisposable
{
    private const string Vm = "vm-abc123";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "formation-cgroup-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void ParseMembership_V1AndV2Lines_SplitsControllersAndKeepsThePath()
    {
        var lines = CgroupReader.ParseMembership(Fixture.Read("cgroup-v1-membership.txt"));

        Assert.Equal(5, lines.Count);
        Assert.Equal(["cpu", "cpuacct"], lines[0].Controllers);
        Assert.Equal("/formation-vms/vm-abc123", lines[0].Path);
        Assert.Equal(["name=systemd"], lines[3].Controllers);
        Assert.Equal((0, 0), (lines[4].Hierarchy, lines[4].Controllers.Count));
        Assert.Throws<FormatException>(() => CgroupReader.ParseMembership("garbage\n"));
    }

    [Fact]
    public void ParseV2CpuStat_Fixture_ReadsMicroseconds()
    {
        Assert.Equal(new CgroupCpu(2.5, 2.0, 0.5), CgroupReader.ParseV2CpuStat(Fixture.Read("cgroup-v2-cpu.stat")));
        Assert.Throws<FormatException>(() => CgroupReader.ParseV2CpuStat("nr_periods 1\n"));
    }

    [Fact]
    public void ParseV1Cpuacct_Fixture_ReadsNanosecondsAndTicks()
    {
        var cpu = CgroupReader.ParseV1Cpuacct(Fixture.Read("cgroup-v1-cpuacct.usage"), Fixture.Read("cgroup-v1-cpuacct.stat"));

        Assert.Equal(new CgroupCpu(3.75, 3.0, 0.75), cpu);
        Assert.Equal(new CgroupCpu(3.75, 0, 0), CgroupReader.ParseV1Cpuacct("3750000000\n", null));
    }

    [Fact]
    public void ReadCpu_V1CpuAndCpuacctMountedTogether_ReadsTheVmsCgroup()
    {
        Place("cpu,cpuacct/formation-vms/vm-abc123/cpuacct.usage", "cgroup-v1-cpuacct.usage");
        Place("cpu,cpuacct/formation-vms/vm-abc123/cpuacct.stat", "cgroup-v1-cpuacct.stat");

        var cpu = new CgroupReader(_root).ReadCpu(CgroupReader.ParseMembership(Fixture.Read("cgroup-v1-membership.txt")), Vm, out var missing);

        Assert.Equal(new CgroupCpu(3.75, 3.0, 0.75), cpu);
        Assert.Null(missing);
    }

    [Fact]
    public void ReadCpu_V2_ReadsCpuStatOfTheVmsCgroup()
    {
        Place("formation-vms/vm-abc123/cpu.stat", "cgroup-v2-cpu.stat");

        var cpu = new CgroupReader(_root).ReadCpu(CgroupReader.ParseMembership(Fixture.Read("cgroup-v2-membership.txt")), Vm, out _);

        Assert.Equal(new CgroupCpu(2.5, 2.0, 0.5), cpu);
    }

    [Fact]
    public void ReadCpu_HybridHostWhereCpuacctIsTheRoot_FallsBackAndSaysWhy()
    {
        // The root cpuacct group counts the whole host: it must never be read as the VM's.
        Place("cpuacct/cpuacct.usage", "cgroup-v1-cpuacct.usage");
        Place("unified/cpu.stat", "cgroup-v2-cpu.stat");

        var cpu = new CgroupReader(_root).ReadCpu(CgroupReader.ParseMembership(Fixture.Read("cgroup-hybrid-membership.txt")), Vm, out var missing);

        Assert.Null(cpu);
        Assert.Contains("no CPU accounting file", missing);
    }

    [Fact]
    public void ReadCpu_ProcessInSomeoneElsesCgroup_FallsBackAndSaysWhy()
    {
        Place("cpu,cpuacct/formation-vms/vm-abc123/cpuacct.usage", "cgroup-v1-cpuacct.usage");

        var cpu = new CgroupReader(_root).ReadCpu(CgroupReader.ParseMembership(Fixture.Read("cgroup-v1-membership.txt")), "vm-other", out var missing);

        Assert.Null(cpu);
        Assert.Contains("no cgroup of its own", missing);
    }

    [Fact]
    public void ReadCpu_OwnCgroupWithoutAccountingFiles_FallsBack()
    {
        Directory.CreateDirectory(Path.Combine(_root, "cpu,cpuacct/formation-vms/vm-abc123"));

        Assert.Null(new CgroupReader(_root).ReadCpu(CgroupReader.ParseMembership(Fixture.Read("cgroup-v1-membership.txt")), Vm, out var missing));
        Assert.Contains("no CPU accounting file", missing);
    }

    [Fact]
    public void ParseIo_V2IoStatAndV1Blkio_SumReadsAndWritesOverDevices()
    {
        var expected = new DiskCounters(4_192_000, 1_024_000, 1024, 250);

        Assert.Equal(expected, CgroupReader.ParseV2IoStat(Fixture.Read("cgroup-v2-io.stat")));
        Assert.Equal(expected, CgroupReader.ParseV1Blkio(Fixture.Read("cgroup-v1-blkio.io_service_bytes"), Fixture.Read("cgroup-v1-blkio.io_serviced")));
    }

    [Fact]
    public void ReadIo_V1Blkio_ReadsTheVmsCgroup()
    {
        Place("blkio/formation-vms/vm-abc123/blkio.throttle.io_service_bytes", "cgroup-v1-blkio.io_service_bytes");
        Place("blkio/formation-vms/vm-abc123/blkio.throttle.io_serviced", "cgroup-v1-blkio.io_serviced");

        var io = new CgroupReader(_root).ReadIo(CgroupReader.ParseMembership(Fixture.Read("cgroup-v1-blkio-membership.txt")), Vm);

        Assert.Equal(new DiskCounters(4_192_000, 1_024_000, 1024, 250), io);
    }

    [Fact]
    public void ReadIo_V2_ReadsIoStatOfTheVmsCgroup_NoneWhereTheVmHasNoCgroupOfItsOwn()
    {
        Place("formation-vms/vm-abc123/io.stat", "cgroup-v2-io.stat");
        Place("system.slice/formation.service/io.stat", "cgroup-v2-io.stat");
        var reader = new CgroupReader(_root);

        Assert.Equal(new DiskCounters(4_192_000, 1_024_000, 1024, 250), reader.ReadIo(CgroupReader.ParseMembership(Fixture.Read("cgroup-v2-membership.txt")), Vm));
        // The silo's own cgroup counts the silo and everything in it: never the VM's.
        Assert.Null(reader.ReadIo(CgroupReader.ParseMembership("0::/system.slice/formation.service\n"), Vm));
        Assert.Null(reader.ReadIo(CgroupReader.ParseMembership(Fixture.Read("cgroup-v1-membership.txt")), Vm)); // v1 without blkio
    }

    private void Place(string relative, string fixture)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(Fixture.Path(fixture), path);
    }
}

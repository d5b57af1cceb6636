using System.Buffers.Binary;
using System.Text;
using Formation.Kvm.Native.Arch;

namespace Formation.Kvm.Native.Tests.Arch;

/// <summary>The MP tables as bytes; LinuxBootTests finds them in guest memory the way Linux does.</summary>
public sealed class MpTableTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(MpTable.MaxVcpus)]
    public void BuildConfigTable_ChecksumsAndCountsAreValid(int vcpus)
    {
        var config = MpTable.BuildConfigTable(vcpus);
        Assert.Equal("PCMP", Encoding.ASCII.GetString(config, 0, 4));
        var length = BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(4));
        Assert.Equal(config.Length, length);
        Assert.Equal(MpTable.ConfigTableSize(vcpus), length);
        Assert.Equal(0, Sum(config));
        Assert.Equal(vcpus + 1 + 1 + 16 + 2, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(34)));
        Assert.Equal((uint)Layout.LapicAddress, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(36)));
    }

    [Fact]
    public void BuildFloatingPointer_PointsAtTheConfigTableWithValidChecksum()
    {
        var mpf = MpTable.BuildFloatingPointer(Layout.MpConfigTableAddress);
        Assert.Equal("_MP_", Encoding.ASCII.GetString(mpf, 0, 4));
        Assert.Equal(0, Sum(mpf));
        Assert.Equal((uint)Layout.MpConfigTableAddress, BinaryPrimitives.ReadUInt32LittleEndian(mpf.AsSpan(4)));
    }

    [Fact]
    public void BuildConfigTable_ProcessorEntries_HaveApicIdsAndBootstrapFlag()
    {
        var config = MpTable.BuildConfigTable(4);
        for (var cpu = 0; cpu < 4; cpu++)
        {
            var e = config.AsSpan(44 + cpu * 20, 20);
            Assert.Equal(0, e[0]);
            Assert.Equal(cpu, e[1]);
            Assert.Equal(cpu == 0 ? 3 : 1, e[3]);
        }

        var ioapic = config.AsSpan(44 + 4 * 20 + 8, 8);
        Assert.Equal(2, ioapic[0]);
        Assert.Equal(4, ioapic[1]);
    }

    [Fact]
    public void ConfigTable_ForMaxVcpus_FitsInTheBiosArea_AndMoreAreRefused()
    {
        Assert.True(Layout.MpConfigTableAddress + (ulong)MpTable.ConfigTableSize(MpTable.MaxVcpus) <= Layout.MpConfigTableEnd);
        Assert.Equal(MpTable.MaxVcpus, MpTable.BuildConfigTable(MpTable.MaxVcpus)[44 + MpTable.MaxVcpus * 20 + 8 + 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.BuildConfigTable(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.BuildConfigTable(MpTable.MaxVcpus + 1));
    }

    private static byte Sum(ReadOnlySpan<byte> data)
    {
        byte s = 0;
        foreach (var b in data)
        {
            s += b;
        }

        return s;
    }
}

using System.Buffers.Binary;
using System.Text;
using Formation.Kvm.Native.Arch;

namespace Formation.Kvm.Native.Tests.Arch;

public sealed class MpTableTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    public void Build_ChecksumsAndCountsAreValid(int vcpus)
    {
        var table = MpTable.Build(vcpus, Layout.MpTableAddress);
        Assert.Equal("_MP_", Encoding.ASCII.GetString(table, 0, 4));
        Assert.Equal(0, Sum(table.AsSpan(0, 16)));
        Assert.Equal((uint)Layout.MpTableAddress + 16, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4)));

        var config = table.AsSpan(16);
        Assert.Equal("PCMP", Encoding.ASCII.GetString(config[..4]));
        var length = BinaryPrimitives.ReadUInt16LittleEndian(config[4..]);
        Assert.Equal(table.Length - 16, length);
        Assert.Equal(0, Sum(config[..length]));
        Assert.Equal(vcpus + 1 + 1 + 16 + 2, BinaryPrimitives.ReadUInt16LittleEndian(config[34..]));
        Assert.Equal((uint)Layout.LapicAddress, BinaryPrimitives.ReadUInt32LittleEndian(config[36..]));
    }

    [Fact]
    public void Build_ProcessorEntries_HaveApicIdsAndBootstrapFlag()
    {
        var config = MpTable.Build(4, Layout.MpTableAddress).AsSpan(16);
        for (var cpu = 0; cpu < 4; cpu++)
        {
            var e = config.Slice(44 + cpu * 20, 20);
            Assert.Equal(0, e[0]);
            Assert.Equal(cpu, e[1]);
            Assert.Equal(cpu == 0 ? 3 : 1, e[3]);
        }

        var ioapic = config.Slice(44 + 4 * 20 + 8, 8);
        Assert.Equal(2, ioapic[0]);
        Assert.Equal(4, ioapic[1]);
    }

    [Fact]
    public void Build_FitsInEbda()
    {
        Assert.True(MpTable.SizeFor(254) > 0);
        Assert.True(Layout.MpTableAddress + (ulong)MpTable.SizeFor(8) <= Layout.LowRamEnd);
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.Build(0, 0));
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

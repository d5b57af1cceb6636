using Formation.Kvm.Native.Machine;

namespace Formation.Kvm.Native.Tests.Machine;

public sealed class HostProbeTests
{
    [Theory]
    [InlineData("flags\t\t: fpu vme de pse tsc msr pae hypervisor lahf_lm", true)]
    [InlineData("flags\t\t: fpu vme vmx ept", false)]
    [InlineData("flags\t\t: fpu svm npt", false)]
    [InlineData("processor: 0", false)]
    public void LacksHardwareVirtualization_ReadsCpuFlags(string cpuinfo, bool expected) =>
        Assert.Equal(expected, HostProbe.LacksHardwareVirtualization(cpuinfo));

    [Theory]
    [InlineData("console=ttyS0", "console=ttyS0 a b")]
    [InlineData("console=ttyS0 -- init arg", "console=ttyS0 a b -- init arg")]
    [InlineData("", "a b")]
    public void WithAdditions_GoBeforeInitArguments(string cmdline, string expected) =>
        Assert.Equal(expected, MachineBuilder.WithAdditions(cmdline, ["a", "b"]));

    [Theory]
    [InlineData(1, null, true)]
    [InlineData(2, null, true)]
    [InlineData(1, false, false)]
    [InlineData(4, true, true)]
    public void WritesMpTable_ByDefaultForAnyVcpuCount(int vcpus, bool? configured, bool expected) =>
        Assert.Equal(expected, MachineBuilder.WritesMpTable(new MachineConfig { Vcpus = vcpus, MpTable = configured, Compat = CompatMode.On }));

    [Fact]
    public void ParseMac_AcceptsColonHexAndRejectsGarbage()
    {
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 0xab }, MachineBuilder.ParseMac("02:00:00:00:00:ab"));
        Assert.Throws<ArgumentException>(() => MachineBuilder.ParseMac("02:00"));
        Assert.Equal(2, MachineBuilder.ParseMac(null)[0] & 3);
    }
}

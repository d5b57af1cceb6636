using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Bindings;

namespace Formation.Kvm.Native.Tests.Arch;

public sealed class CpuidBuilderTests
{
    private static readonly kvm_cpuid_entry2[] Supported =
    [
        new() { function = 1, ebx = 0xff00_0800, ecx = CpuidBuilder.Cx16 | 1, edx = 0 },
        new() { function = 0xb, index = 0 },
        new() { function = 0xb, index = 1 },
        new() { function = CpuidBuilder.KvmCpuidFeatures, eax = 0xffff },
    ];

    [Fact]
    public void Build_SetsApicIdCountAndHypervisorBit()
    {
        var e = CpuidBuilder.Build(Supported, apicId: 3, vcpus: 4, pvmCompat: false);
        Assert.Equal(3u, e[0].ebx >> 24);
        Assert.Equal(4u, (e[0].ebx >> 16) & 0xff);
        Assert.NotEqual(0u, e[0].ecx & CpuidBuilder.Hypervisor);
        Assert.NotEqual(0u, e[0].edx & CpuidBuilder.Htt);
        Assert.Equal(3u, e[1].edx);
        Assert.Equal(4u, e[2].ebx);
        Assert.Equal(2u, e[2].eax);
    }

    [Fact]
    public void Build_RealHost_KeepsCx16AndPvFeatures()
    {
        var e = CpuidBuilder.Build(Supported, 0, 1, pvmCompat: false);
        Assert.NotEqual(0u, e[0].ecx & CpuidBuilder.Cx16);
        Assert.Equal(0xffffu, e[3].eax);
    }

    [Fact]
    public void Build_PvmCompat_MasksCx16AndPvIpiFeatures()
    {
        var e = CpuidBuilder.Build(Supported, 0, 2, pvmCompat: true);
        Assert.Equal(0u, e[0].ecx & CpuidBuilder.Cx16);
        Assert.Equal(0u, e[3].eax & (CpuidBuilder.KvmFeaturePvUnhalt | CpuidBuilder.KvmFeaturePvSendIpi));
        Assert.NotEqual(0u, e[3].eax & 1);
    }
}

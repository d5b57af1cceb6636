using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Vcpu;

namespace Formation.Kvm.Native.Tests.Vcpu;

public sealed class EmulationFixupsTests
{
    [Fact]
    public void Fwait_IsSkipped()
    {
        var regs = new kvm_regs { rip = 0x1000 };
        Assert.Equal(EmulationFixups.Fix.Skipped, EmulationFixups.TryApply([0x9b], ref regs));
        Assert.Equal(0x1001ul, regs.rip);
    }

    [Fact]
    public void Int3_AdvancesAndAsksForBreakpointInjection()
    {
        var regs = new kvm_regs { rip = 0x1000 };
        Assert.Equal(EmulationFixups.Fix.InjectBreakpoint, EmulationFixups.TryApply([0xcc], ref regs));
        Assert.Equal(0x1001ul, regs.rip);
    }

    [Fact]
    public void Popcnt64_RegisterForm_IsEmulated()
    {
        // popcnt %rbx,%rax = f3 48 0f b8 c3
        var regs = new kvm_regs { rip = 0x1000, rbx = 0xff00ff, rflags = 0x8d7 };
        Assert.Equal(EmulationFixups.Fix.Emulated, EmulationFixups.TryApply([0xf3, 0x48, 0x0f, 0xb8, 0xc3], ref regs));
        Assert.Equal(16ul, regs.rax);
        Assert.Equal(0x1005ul, regs.rip);
        Assert.Equal(0x2ul, regs.rflags);
    }

    [Fact]
    public void Popcnt32_OfZero_SetsZeroFlagAndUsesLowHalf()
    {
        // popcnt %ecx,%r9d = f3 44 0f b8 c9
        var regs = new kvm_regs { rip = 0, rcx = 0xffff_ffff_0000_0000, r9 = 77 };
        Assert.Equal(EmulationFixups.Fix.Emulated, EmulationFixups.TryApply([0xf3, 0x44, 0x0f, 0xb8, 0xc9], ref regs));
        Assert.Equal(0ul, regs.r9);
        Assert.Equal(0x40ul, regs.rflags & 0x40);
    }

    [Theory]
    [InlineData(new byte[] { 0xf3, 0x0f, 0xb8, 0x03 })] // memory operand
    [InlineData(new byte[] { 0x0f, 0x01, 0xca })] // clac
    [InlineData(new byte[] { })]
    public void Unknown_IsNotTouched(byte[] insn)
    {
        var regs = new kvm_regs { rip = 5 };
        Assert.Equal(EmulationFixups.Fix.None, EmulationFixups.TryApply(insn, ref regs));
        Assert.Equal(5ul, regs.rip);
    }
}

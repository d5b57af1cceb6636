using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Devices;

namespace Formation.Kvm.Native.Tests.Arch;

public sealed class LayoutTests
{
    [Fact]
    public void I8042Ports_MatchTheControllersRegisterOffsets()
    {
        Assert.Equal(Layout.I8042CommandPort, Layout.I8042DataPort + I8042Controller.CommandOffset);
        Assert.Equal(Layout.I8042CommandPort + 1, Layout.I8042DataPort + I8042Controller.PortCount);
    }
}

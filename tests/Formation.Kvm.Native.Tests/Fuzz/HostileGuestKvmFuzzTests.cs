using System.Text;
using Formation.Kvm.Native.Machine;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Fuzz;

/// <summary>
/// Real guests under /dev/kvm that hammer the VMM's devices with random port I/O and MMIO (fixed seeds,
/// fixed budget of 1500 accesses each). The VMM must survive: the VM ends with some exit reason, and the
/// process carries on to the next case.
/// </summary>
public sealed class HostileGuestFuzzTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task RandomPortIoAndMmio_VmmSurvives(int seed)
    {
        var random = new Random(seed);
        var asm = new StringBuilder();
        for (var i = 0; i < 1500; i++)
        {
            switch (random.Next(4))
            {
                case 0:
                    var ports = new[] { 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x60, 0x61, 0x62, 0xcf8, 0xcfc, 0x80, 0x2f8 };
                    var port = ports[random.Next(ports.Length)];
                    var value = random.Next(256);
                    if (port == 0x64 || (port == 0x60 && value == 0))
                    {
                        value = 0x20;
                    }

                    asm.AppendLine($"mov ${port}, %dx\nmov ${value}, %eax\nout %al, %dx");
                    break;
                case 1:
                    asm.AppendLine($"mov ${0x3f8 + random.Next(8)}, %dx\nin %dx, %al");
                    break;
                case 2:
                    var offset = random.Next(0x3000) & ~3;
                    asm.AppendLine($"mov ${0xd0000000 + offset}, %rbx\nmovl ${random.Next()}, (%rbx)");
                    break;
                default:
                    asm.AppendLine($"mov ${0xd0000000 + (random.Next(0x3000) & ~3)}, %rbx\nmovl (%rbx), %eax");
                    break;
            }
        }

        asm.AppendLine("mov $0x501, %dx\nout %eax, %dx\n1: jmp 1b");
        using var dir = Tools.CreateTempDir();
        var image = dir.File("fuzz.img");
        File.WriteAllBytes(image, new byte[64 * 1024]);
        using var guest = TinyGuest.Create(asm.ToString(), c => c with { Disks = [new DiskConfig(image)], Rng = true, InKernelIrqchip = true });
        var reason = await guest.RunAsync();
        Assert.True(Enum.IsDefined(reason));
        Assert.NotEqual(ExitReason.VmmError, reason);
    }
}

using System.Text;
using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Fuzz;

/// <summary>
/// Real guests under /dev/kvm that hammer the VMM's devices with random port I/O (UART, i8042 data and command ports,
/// ports nobody claims) and MMIO of every width into each virtio-mmio window (fixed seeds, 1500 accesses each), then
/// write a marker to the exit port. The VMM must take every access and let the guest run to its last instruction:
/// the VM stops with PowerOff through the exit port, after at least as many I/O and MMIO exits as the guest made.
/// <see cref="HostileGuestFuzzTests"/> does the same and more without /dev/kvm.
/// </summary>
public sealed class HostileGuestKvmFuzzTests
{
    private const uint Marker = 0x600d;

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task RandomPortIoAndMmio_GuestRunsToTheEnd(int seed)
    {
        var random = new Random(seed);
        var asm = new StringBuilder();
        ulong[] ports = [.. Enumerable.Range(0, 8).Select(i => Layout.SerialPort + (ulong)i), Layout.I8042DataPort, Layout.I8042CommandPort,
            0x62, 0x80, 0x2f8, 0xcf8, 0xcfc];
        int portExits = 0, mmioExits = 0;
        for (var i = 0; i < 1500; i++)
        {
            var port = ports[random.Next(ports.Length)];
            var window = Layout.VirtioMmioBase + (ulong)random.Next(3) * Layout.VirtioMmioSize;
            var offset = (ulong)random.Next((int)Layout.VirtioMmioSize) & ~7UL;
            var (suffix, register) = random.Next(4) switch { 0 => ("b", "%al"), 1 => ("w", "%ax"), 2 => ("l", "%eax"), _ => ("q", "%rax") };
            switch (random.Next(4))
            {
                case 0:
                    // Any byte except the two that reset the CPU through the i8042 (0xfe; 0xd1 then an even byte).
                    var value = random.Next(256);
                    if (port == Layout.I8042CommandPort && value is 0xfe or 0xd1)
                    {
                        value = 0x20;
                    }

                    asm.AppendLine($"mov ${port}, %dx\nmov ${value}, %eax\nout %al, %dx");
                    portExits++;
                    break;
                case 1:
                    asm.AppendLine($"mov ${port}, %dx\nin %dx, %al");
                    portExits++;
                    break;
                case 2:
                    asm.AppendLine($"mov ${window + offset}, %rbx\nmov ${random.NextInt64()}, %rax\nmov{suffix} {register}, (%rbx)");
                    mmioExits++;
                    break;
                default:
                    asm.AppendLine($"mov ${window + offset}, %rbx\nmov{suffix} (%rbx), {register}");
                    mmioExits++;
                    break;
            }
        }

        asm.AppendLine($"mov $0x501, %dx\nmov ${Marker}, %eax\nout %eax, %dx\n1: jmp 1b");
        using var dir = Tools.CreateTempDir();
        var image = dir.File("fuzz.img");
        File.WriteAllBytes(image, new byte[64 * 1024]);
        File.WriteAllBytes(dir.File("net.img"), new byte[64 * 1024]);
        using var guest = TinyGuest.Create(asm.ToString(),
            c => c with { Disks = [new DiskConfig(image), new DiskConfig(dir.File("net.img"), ReadOnly: true)], Rng = true, InKernelIrqchip = true });
        var reason = await guest.RunAsync();
        Assert.True(reason == ExitReason.PowerOff, $"the VM stopped with {reason}: {guest.Vm.ExitDetail}");
        Assert.Equal(Marker, Assert.Single(guest.Exit.Writes).Value);
        var exits = guest.Vm.Info().Exits;
        Assert.True(exits.Io >= portExits + 1, $"{exits.Io} I/O exits for {portExits + 1} port accesses");
        Assert.True(exits.Mmio >= mmioExits, $"{exits.Mmio} MMIO exits for {mmioExits} MMIO accesses");
    }
}

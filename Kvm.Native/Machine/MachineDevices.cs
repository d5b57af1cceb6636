using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// The emulated devices of a Formation VM and where the guest finds them: the 16550A UART at COM1 (IRQ 4), the i8042
/// at 0x60-0x64 (IRQ 1), and one virtio-mmio window per virtio device from <see cref="Layout.VirtioMmioBase"/> (GSI 5
/// on). Needs no /dev/kvm: <see cref="MachineBuilder"/> wires a VM with it, and the hostile-guest fuzz wires the very
/// same buses over a byte-array guest memory.
/// </summary>
public sealed class MachineDevices
{
    private MachineDevices(DeviceBus ports, DeviceBus mmio, Serial8250 serial, I8042Controller keyboard,
        IReadOnlyList<VirtioMmioTransport> virtio, IReadOnlyList<string> kernelArguments)
    {
        PortBus = ports;
        MmioBus = mmio;
        Serial = serial;
        Keyboard = keyboard;
        Virtio = virtio;
        KernelArguments = kernelArguments;
    }

    public DeviceBus PortBus { get; }

    public DeviceBus MmioBus { get; }

    public Serial8250 Serial { get; }

    public I8042Controller Keyboard { get; }

    /// <summary>The virtio transports, in the order of their windows.</summary>
    public IReadOnlyList<VirtioMmioTransport> Virtio { get; }

    /// <summary><c>virtio_mmio.device=4K@0xd0000000:5</c> for each virtio device: how Linux learns about them.</summary>
    public IReadOnlyList<string> KernelArguments { get; }

    /// <param name="memory">Guest RAM the virtio devices read and write.</param>
    /// <param name="console">Where the UART's output goes.</param>
    /// <param name="irq">The interrupt line of a GSI.</param>
    /// <param name="onReset">Called when the guest resets the CPU through the i8042.</param>
    /// <param name="virtio">The virtio devices, one window each, in this order.</param>
    public static MachineDevices Create(GuestMemory memory, Stream console, Func<uint, IInterruptLine> irq, Action onReset,
        IReadOnlyList<IVirtioDevice> virtio)
    {
        if (virtio.Count > Layout.IoapicPins - Layout.FirstVirtioIrq)
        {
            throw new ArgumentException($"too many virtio devices ({virtio.Count}; at most {Layout.IoapicPins - Layout.FirstVirtioIrq})");
        }

        var ports = new DeviceBus("port I/O");
        var mmio = new DeviceBus("MMIO");
        var serial = new Serial8250(console, irq(Layout.SerialIrq));
        ports.Insert(Layout.SerialPort, Serial8250.RegisterCount, serial);
        var keyboard = new I8042Controller(irq(Layout.KeyboardIrq), onReset);
        ports.Insert(Layout.I8042DataPort, I8042Controller.PortCount, keyboard);

        var transports = new List<VirtioMmioTransport>();
        var arguments = new List<string>();
        for (var i = 0u; i < virtio.Count; i++)
        {
            var address = Layout.VirtioMmioBase + i * Layout.VirtioMmioSize;
            var gsi = Layout.FirstVirtioIrq + i;
            var transport = new VirtioMmioTransport(virtio[(int)i], memory, irq(gsi));
            mmio.Insert(address, Layout.VirtioMmioSize, transport);
            transports.Add(transport);
            arguments.Add($"virtio_mmio.device={Layout.VirtioMmioSize / 1024}K@0x{address:x}:{gsi}");
        }

        return new MachineDevices(ports, mmio, serial, keyboard, transports, arguments);
    }
}

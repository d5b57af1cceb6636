using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Devices.Virtio;

namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>
/// A paused VM's state apart from its memory: what <see cref="SnapshotFiles.StateFile"/> holds. Kernel structs are kept
/// as their bytes (base64 in the JSON) and checked for their exact size on reading; KVM checks their contents when they
/// are set. The memory is <see cref="SnapshotFiles.MemoryFile"/>, the regions of <see cref="Arch.Layout.RamRanges"/> in order.
/// </summary>
/// <param name="FormatVersion">The layout of this record (<see cref="SnapshotFiles.FormatVersion"/>).</param>
/// <param name="VmmVersion">The formation-vmm that wrote it (<see cref="SnapshotFiles.VmmVersion"/>); another one refuses it.</param>
/// <param name="Irqchip">The in-kernel PIC, IOAPIC and PIT (null for a VM without the in-kernel irqchip).</param>
/// <param name="Clock">kvm_clock_data as the pause saved it (null without the in-kernel irqchip).</param>
/// <param name="Virtio">One per virtio-mmio window, in window order.</param>
public sealed record MachineSnapshot(
    int FormatVersion,
    string VmmVersion,
    int Vcpus,
    int MemoryMiB,
    bool InKernelIrqchip,
    bool PvmCompat,
    string CommandLine,
    IReadOnlyList<VcpuSnapshot> VcpuStates,
    IrqchipSnapshot? Irqchip,
    byte[]? Clock,
    SerialState Serial,
    I8042State Keyboard,
    IReadOnlyList<VirtioMmioState> Virtio);

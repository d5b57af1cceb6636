using Formation.Vmm.Protocol;

namespace Formation.Kvm.Native.Machine;

/// <summary>Everything needed to build one VM. formation-vmm reads it from JSON (see <see cref="VmConfigFile"/>).</summary>
public sealed record MachineConfig
{
    /// <summary>ELF vmlinux or bzImage. Ignored when <see cref="Raw"/> is set.</summary>
    public string? KernelPath { get; init; }

    public string? InitrdPath { get; init; }

    public string CommandLine { get; init; } = "console=ttyS0";

    public int Vcpus { get; init; } = 1;

    public int MemoryMiB { get; init; } = 256;

    public IReadOnlyList<DiskConfig> Disks { get; init; } = [];

    public IReadOnlyList<NetConfig> Nets { get; init; } = [];

    /// <summary>Add a virtio-rng device.</summary>
    public bool Rng { get; init; } = true;

    /// <summary>A virtio-vsock device with its hybrid Unix-socket host side (null: none).</summary>
    public VsockConfig? Vsock { get; init; }

    /// <summary>In-kernel PIC/IOAPIC/LAPIC + PIT. Test guests may turn it off to see HLT exits.</summary>
    public bool InKernelIrqchip { get; init; } = true;

    public CompatMode Compat { get; init; } = CompatMode.Auto;

    /// <summary>MP table: null = automatic (always written; false leaves the guest in PIC/virtual-wire mode).</summary>
    public bool? MpTable { get; init; }

    /// <summary>Run flat test code instead of a Linux kernel.</summary>
    public RawBoot? Raw { get; init; }

    public string KvmPath { get; init; } = "/dev/kvm";

    /// <summary>A snapshot directory (<see cref="Snapshots.SnapshotFiles"/>): start from it instead of loading a guest.</summary>
    public string? RestoreFrom { get; init; }
}

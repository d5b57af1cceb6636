namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>The in-kernel interrupt controllers (kvm_irqchip each) and the PIT (kvm_pit_state2).</summary>
public sealed record IrqchipSnapshot(byte[] PicMaster, byte[] PicSlave, byte[] Ioapic, byte[] Pit);

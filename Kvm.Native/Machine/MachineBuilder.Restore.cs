using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Kvm;
using Formation.Kvm.Native.Machine.Snapshots;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Machine;

public sealed partial class MachineBuilder
{
    /// <summary>Reads the snapshot and checks it fits this config before anything is built; the exception says what differs.</summary>
    private MachineSnapshot ReadSnapshot(string directory, bool pvm)
    {
        var snapshot = SnapshotFiles.ReadState(directory);
        var differences = new List<string>();
        if (snapshot.Vcpus != config.Vcpus)
        {
            differences.Add($"{snapshot.Vcpus} vCPUs, the config has {config.Vcpus}");
        }

        if (snapshot.MemoryMiB != config.MemoryMiB)
        {
            differences.Add($"{snapshot.MemoryMiB} MiB of memory, the config has {config.MemoryMiB}");
        }

        if (snapshot.InKernelIrqchip != config.InKernelIrqchip)
        {
            differences.Add($"in-kernel irqchip {snapshot.InKernelIrqchip}, the config has {config.InKernelIrqchip}");
        }

        if (snapshot.PvmCompat != pvm)
        {
            differences.Add($"nested-PVM compatibility {snapshot.PvmCompat}, this host and config give {pvm}");
        }

        var devices = config.Disks.Count + config.Nets.Count + (config.Rng ? 1 : 0) + (config.Vsock is null ? 0 : 1);
        if (snapshot.Virtio.Count != devices)
        {
            differences.Add($"{snapshot.Virtio.Count} virtio devices, the config has {devices} ({config.Disks.Count} disks, {config.Nets.Count} nets, rng {config.Rng}, vsock {config.Vsock is not null})");
        }

        return differences.Count == 0
            ? snapshot
            : throw new InvalidDataException($"the snapshot in {directory} is of another VM layout: it has {string.Join("; ", differences)}");
    }

    /// <summary>The devices take the snapshot's state (before the irqchip's, so the lines they raise do not count twice).</summary>
    private static void RestoreDevices(MachineSnapshot snapshot, MachineDevices devices)
    {
        devices.Serial.RestoreState(snapshot.Serial);
        devices.Keyboard.RestoreState(snapshot.Keyboard);
        for (var i = 0; i < devices.Virtio.Count; i++)
        {
            devices.Virtio[i].RestoreState(snapshot.Virtio[i]);
        }
    }

    /// <summary>
    /// Sets the irqchip, PIT and every vCPU's state from the snapshot. The CPUID must be the one this host gives the same
    /// VM (otherwise the guest's view of its CPU would change under it); MSRs must be ones this host's KVM keeps.
    /// </summary>
    private static void RestoreMachine(MachineSnapshot snapshot, KvmSystem kvm, KvmVm vm, IReadOnlyList<KvmVcpu> vcpus, IReadOnlyList<kvm_cpuid_entry2[]> cpuid)
    {
        var msrList = kvm.GetMsrIndexList().ToHashSet();
        for (var i = 0; i < vcpus.Count; i++)
        {
            var saved = snapshot.VcpuStates[i];
            CheckCpuid(i, MemoryMarshal.Cast<byte, kvm_cpuid_entry2>(saved.Cpuid), cpuid[i]);
            if (saved.Msrs.FirstOrDefault(m => !msrList.Contains(m.Index)) is { } unknown)
            {
                throw new InvalidDataException($"vCPU {i}: the snapshot has MSR 0x{unknown.Index:x}, which this host's KVM does not keep");
            }

            if ((saved.Xsave is null) != (vm.CheckExtension(KvmIoctls.KVM_CAP_XSAVE) == 0) || (saved.Xcrs is null) != (vm.CheckExtension(KvmIoctls.KVM_CAP_XCRS) == 0))
            {
                throw new InvalidDataException($"vCPU {i}: the snapshot {(saved.Xsave is null ? "has no" : "has")} XSAVE state and this host's KVM {(saved.Xsave is null ? "has" : "has no")} XSAVE");
            }

            vcpus[i].SetCpuid(cpuid[i]);
        }

        if (snapshot.Irqchip is { } chips)
        {
            // Before the local APICs: setting the IOAPIC re-delivers its pending lines, which the saved LAPIC state then replaces.
            vm.SetIrqchip(StructBytes.To<kvm_irqchip>(chips.PicMaster, "irqchip.picMaster"));
            vm.SetIrqchip(StructBytes.To<kvm_irqchip>(chips.PicSlave, "irqchip.picSlave"));
            vm.SetIrqchip(StructBytes.To<kvm_irqchip>(chips.Ioapic, "irqchip.ioapic"));
            vm.SetPit2(StructBytes.To<kvm_pit_state2>(chips.Pit, "irqchip.pit"));
        }

        for (var i = 0; i < vcpus.Count; i++)
        {
            RestoreVcpu(vcpus[i], snapshot.VcpuStates[i]);
        }
    }

    /// <summary>The order follows what KVM needs: sregs (APIC base, EFER) before regs, the LAPIC before the MSRs (TSC deadline), events last.</summary>
    private static void RestoreVcpu(KvmVcpu vcpu, VcpuSnapshot saved)
    {
        var what = $"vcpuStates[{vcpu.Id}]";
        vcpu.SetMpState(saved.MpState);
        vcpu.SetSregs(StructBytes.To<kvm_sregs>(saved.Sregs, $"{what}.sregs"));
        vcpu.SetRegs(StructBytes.To<kvm_regs>(saved.Regs, $"{what}.regs"));
        if (saved.Xsave is not null)
        {
            vcpu.SetXsave(StructBytes.To<kvm_xsave>(saved.Xsave, $"{what}.xsave"));
        }
        else
        {
            vcpu.SetFpu(StructBytes.To<kvm_fpu>(saved.Fpu, $"{what}.fpu"));
        }

        if (saved.Xcrs is not null)
        {
            vcpu.SetXcrs(StructBytes.To<kvm_xcrs>(saved.Xcrs, $"{what}.xcrs"));
        }

        vcpu.SetDebugRegs(StructBytes.To<kvm_debugregs>(saved.DebugRegs, $"{what}.debugRegs"));
        if (saved.Lapic is not null)
        {
            vcpu.SetLapic(StructBytes.To<kvm_lapic_state>(saved.Lapic, $"{what}.lapic"));
        }

        vcpu.SetMsrs([.. saved.Msrs.Select(m => new kvm_msr_entry { index = m.Index, data = m.Value })]);
        var events = StructBytes.To<kvm_vcpu_events>(saved.Events, $"{what}.events");
        events.flags |= KvmConstants.KVM_VCPUEVENT_VALID_NMI_PENDING | KvmConstants.KVM_VCPUEVENT_VALID_SIPI_VECTOR;
        vcpu.SetVcpuEvents(events);
    }

    private static void CheckCpuid(int vcpu, ReadOnlySpan<kvm_cpuid_entry2> saved, kvm_cpuid_entry2[] here)
    {
        foreach (var s in saved)
        {
            var match = Array.FindIndex(here, h => h.function == s.function && h.index == s.index);
            if (match < 0)
            {
                throw new InvalidDataException($"vCPU {vcpu}: incompatible CPUID: leaf 0x{s.function:x} index {s.index} of the snapshot does not exist on this host");
            }

            var h = here[match];
            if ((h.eax, h.ebx, h.ecx, h.edx, h.flags) != (s.eax, s.ebx, s.ecx, s.edx, s.flags))
            {
                throw new InvalidDataException(
                    $"vCPU {vcpu}: incompatible CPUID leaf 0x{s.function:x} index {s.index}: the snapshot's guest saw eax {s.eax:x8} ebx {s.ebx:x8} ecx {s.ecx:x8} edx {s.edx:x8}, this host gives {h.eax:x8} {h.ebx:x8} {h.ecx:x8} {h.edx:x8}");
            }
        }

        if (saved.Length != here.Length)
        {
            throw new InvalidDataException($"vCPU {vcpu}: incompatible CPUID: the snapshot has {saved.Length} leaves, this host gives {here.Length}");
        }
    }
}

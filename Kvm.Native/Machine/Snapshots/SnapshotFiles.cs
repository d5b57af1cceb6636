using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Devices;

namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>
/// A snapshot directory: <see cref="MemoryFile"/> (guest RAM, sparse), <see cref="StateFile"/> (a <see cref="MachineSnapshot"/>
/// as JSON) and <see cref="ChecksumFile"/> (SHA-256 of the state file, so a damaged one is told apart from a malformed one).
/// Reading checks the checksum, the format and formation-vmm version, and every field's shape; whether it fits the VM
/// being built is <see cref="MachineBuilder"/>'s check.
/// </summary>
public static class SnapshotFiles
{
    public const string MemoryFile = "memory.bin", StateFile = "state.json", ChecksumFile = "state.json.sha256";

    public const int FormatVersion = 1;

    /// <summary>Most CPUID entries a vCPU may have been given (KVM_GET_SUPPORTED_CPUID's own limit here).</summary>
    public const int MaxCpuidEntries = 4096;

    /// <summary>This formation-vmm's version (its informational version, with the source revision): snapshots restore only into the same.</summary>
    public static string VmmVersion { get; } =
        typeof(SnapshotFiles).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(SnapshotFiles).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Writes the state and its checksum (after the memory file, so a directory with a checksum is complete).</summary>
    public static void WriteState(string directory, MachineSnapshot snapshot)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(snapshot, SnapshotJson.Default.MachineSnapshot);
        WriteDurably(Path.Combine(directory, StateFile), json);
        WriteDurably(Path.Combine(directory, ChecksumFile), Encoding.ASCII.GetBytes($"{Convert.ToHexStringLower(SHA256.HashData(json))}  {StateFile}\n"));
    }

    /// <summary>Reads and checks a snapshot's state; <see cref="InvalidDataException"/> says what is wrong and what to do.</summary>
    public static MachineSnapshot ReadState(string directory)
    {
        var state = Path.Combine(directory, StateFile);
        var checksum = Path.Combine(directory, ChecksumFile);
        foreach (var file in new[] { Path.Combine(directory, MemoryFile), state, checksum })
        {
            if (!File.Exists(file))
            {
                throw new InvalidDataException($"{directory} is not a complete formation-vmm snapshot: {Path.GetFileName(file)} is missing");
            }
        }

        var json = File.ReadAllBytes(state);
        var expected = File.ReadAllText(checksum).Split(' ', 2)[0].Trim();
        if (!string.Equals(expected, Convert.ToHexStringLower(SHA256.HashData(json)), StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{state} is damaged: its SHA-256 is not the one in {ChecksumFile}; take a new snapshot");
        }

        MachineSnapshot snapshot;
        try
        {
            snapshot = JsonSerializer.Deserialize(json, SnapshotJson.Default.MachineSnapshot) ?? throw new JsonException("the state is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{state} is not a formation-vmm machine state: {e.Message}", e);
        }

        try
        {
            Validate(snapshot);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{state}: {e.Message}", e);
        }

        return snapshot;
    }

    /// <summary>Checks every field's shape (not yet whether it fits a VM); throws <see cref="InvalidDataException"/> naming the field.</summary>
    public static void Validate(MachineSnapshot s)
    {
        if (s.FormatVersion != FormatVersion)
        {
            throw new InvalidDataException($"snapshot format {s.FormatVersion}, this formation-vmm reads format {FormatVersion}");
        }

        if (s.VmmVersion != VmmVersion)
        {
            throw new InvalidDataException(
                $"the snapshot was taken by formation-vmm {s.VmmVersion}, this is {VmmVersion}: restore it with the formation-vmm that took it");
        }

        if (s.Vcpus is < 1 or > Arch.MpTable.MaxVcpus || s.VcpuStates.Count != s.Vcpus)
        {
            throw new InvalidDataException($"vcpus {s.Vcpus} with {s.VcpuStates.Count} vCPU states (1 to {Arch.MpTable.MaxVcpus}, one state each)");
        }

        if (s.MemoryMiB is < 16 or > 1024 * 1024)
        {
            throw new InvalidDataException($"memoryMiB {s.MemoryMiB} is outside 16 MiB to 1 TiB");
        }

        for (var i = 0; i < s.VcpuStates.Count; i++)
        {
            ValidateVcpu(s.VcpuStates[i], (uint)i, s.InKernelIrqchip);
        }

        if (s.InKernelIrqchip)
        {
            var chips = s.Irqchip ?? throw new InvalidDataException("irqchip is missing for a VM with the in-kernel irqchip");
            CheckChip(chips.PicMaster, KvmConstants.KVM_IRQCHIP_PIC_MASTER, "irqchip.picMaster");
            CheckChip(chips.PicSlave, KvmConstants.KVM_IRQCHIP_PIC_SLAVE, "irqchip.picSlave");
            CheckChip(chips.Ioapic, KvmConstants.KVM_IRQCHIP_IOAPIC, "irqchip.ioapic");
            StructBytes.Check<kvm_pit_state2>(chips.Pit, "irqchip.pit");
            StructBytes.Check<kvm_clock_data>(s.Clock, "clock");
        }
        else if (s.Irqchip is not null || s.Clock is not null)
        {
            throw new InvalidDataException("irqchip or clock state for a VM without the in-kernel irqchip");
        }

        if (s.Serial.Input.Length > Serial8250.InputCapacity)
        {
            throw new InvalidDataException($"serial.input has {s.Serial.Input.Length} bytes, at most {Serial8250.InputCapacity}");
        }

        if (s.Keyboard.Output.Length != s.Keyboard.OutputAux.Length || s.Keyboard.Output.Length > I8042Controller.MaxSavedOutput)
        {
            throw new InvalidDataException($"keyboard.output has {s.Keyboard.Output.Length} bytes and {s.Keyboard.OutputAux.Length} AUX flags");
        }

        if (s.Virtio.Count > Arch.Layout.IoapicPins - Arch.Layout.FirstVirtioIrq || s.Virtio.Any(v => v is null))
        {
            throw new InvalidDataException($"virtio lists {s.Virtio.Count} devices, at most {Arch.Layout.IoapicPins - Arch.Layout.FirstVirtioIrq}, none null");
        }
    }

    private static void ValidateVcpu(VcpuSnapshot v, uint index, bool irqchip)
    {
        var what = $"vcpuStates[{index}]";
        if (v.Id != index)
        {
            throw new InvalidDataException($"{what}.id is {v.Id}, not {index}");
        }

        if (v.Cpuid.Length == 0 || v.Cpuid.Length % System.Runtime.CompilerServices.Unsafe.SizeOf<kvm_cpuid_entry2>() != 0
            || v.Cpuid.Length / System.Runtime.CompilerServices.Unsafe.SizeOf<kvm_cpuid_entry2>() > MaxCpuidEntries)
        {
            throw new InvalidDataException($"{what}.cpuid has {v.Cpuid.Length} bytes: not 1 to {MaxCpuidEntries} kvm_cpuid_entry2");
        }

        StructBytes.Check<kvm_regs>(v.Regs, $"{what}.regs");
        StructBytes.Check<kvm_sregs>(v.Sregs, $"{what}.sregs");
        StructBytes.Check<kvm_fpu>(v.Fpu, $"{what}.fpu");
        StructBytes.Check<kvm_debugregs>(v.DebugRegs, $"{what}.debugRegs");
        StructBytes.Check<kvm_vcpu_events>(v.Events, $"{what}.events");
        if (v.Xsave is not null)
        {
            StructBytes.Check<kvm_xsave>(v.Xsave, $"{what}.xsave");
        }

        if (v.Xcrs is not null && StructBytes.To<kvm_xcrs>(v.Xcrs, $"{what}.xcrs").nr_xcrs > kvm_xcrs.KVM_MAX_XCRS)
        {
            throw new InvalidDataException($"{what}.xcrs counts more than {kvm_xcrs.KVM_MAX_XCRS} registers");
        }

        if (irqchip)
        {
            StructBytes.Check<kvm_lapic_state>(v.Lapic, $"{what}.lapic");
        }
        else if (v.Lapic is not null)
        {
            throw new InvalidDataException($"{what}.lapic is set for a VM without the in-kernel irqchip");
        }

        if (v.MpState > KvmConstants.KVM_MP_STATE_SUSPENDED)
        {
            throw new InvalidDataException($"{what}.mpState {v.MpState} is not a KVM MP state (0 to {KvmConstants.KVM_MP_STATE_SUSPENDED})");
        }

        var seen = new HashSet<uint>();
        foreach (var msr in v.Msrs)
        {
            if (msr is null || !seen.Add(msr.Index))
            {
                throw new InvalidDataException($"{what}.msrs lists MSR 0x{msr?.Index:x} twice (or a null)");
            }
        }
    }

    private static void CheckChip(byte[] bytes, uint chipId, string what)
    {
        if (StructBytes.To<kvm_irqchip>(bytes, what).chip_id != chipId)
        {
            throw new InvalidDataException($"{what} is the state of chip {StructBytes.To<kvm_irqchip>(bytes, what).chip_id}, not {chipId}");
        }
    }

    private static void WriteDurably(string path, byte[] bytes)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }
}

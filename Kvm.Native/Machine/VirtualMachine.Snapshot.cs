using System.Diagnostics;
using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Kvm;
using Formation.Kvm.Native.Machine.Snapshots;
using Formation.Kvm.Native.Memory;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;

namespace Formation.Kvm.Native.Machine;

public sealed partial class VirtualMachine
{
    /// <summary>
    /// Writes the paused VM into <paramref name="directory"/> (existing, empty): guest memory as a sparse file, then the
    /// machine state (<see cref="MachineSnapshot"/>) and its checksum. The VM stays paused; resume or kill it after.
    /// </summary>
    public SnapshotResult Snapshot(string directory)
    {
        if (!Path.IsPathFullyQualified(directory))
        {
            throw new ArgumentException($"snapshot directory '{directory}' is not an absolute path");
        }

        if (!Directory.Exists(directory))
        {
            throw new ArgumentException($"snapshot directory {directory} does not exist: create it (empty, writable by the VMM) first");
        }

        if (Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new ArgumentException($"snapshot directory {directory} is not empty: give an empty one");
        }

        var clock = Stopwatch.StartNew();
        lock (_gate)
        {
            if (_state != MachineState.Paused)
            {
                throw new InvalidOperationException($"cannot snapshot: the VM is {_state.ToString().ToLowerInvariant()}; pause it first");
            }

            // Device threads (virtio-net receive) write guest memory under their transport's lock: hold every one of them
            // until the memory is written, so the queues' positions and the rings in memory agree.
            foreach (var t in Virtio)
            {
                t.SyncRoot.Enter();
            }

            try
            {
                foreach (var r in _runners)
                {
                    r.CompletePendingIo();
                }

                var state = CaptureState();
                var (length, data) = GuestMemoryFile.Write(Memory, Path.Combine(directory, SnapshotFiles.MemoryFile));
                SnapshotFiles.WriteState(directory, state);
                LogSnapshot(directory, length, data, clock.Elapsed.TotalMilliseconds);
                return new SnapshotResult(directory, length, data);
            }
            finally
            {
                foreach (var t in Virtio)
                {
                    t.SyncRoot.Exit();
                }
            }
        }
    }

    private MachineSnapshot CaptureState()
    {
        var msrList = _kvm.GetMsrIndexList();
        var vcpus = _runners.Select(r => CaptureVcpu(r.Vcpu, msrList)).ToList();
        IrqchipSnapshot? chips = null;
        byte[]? kvmClock = null;
        if (Config.InKernelIrqchip)
        {
            chips = new IrqchipSnapshot(
                StructBytes.Of(_vm.GetIrqchip(KvmConstants.KVM_IRQCHIP_PIC_MASTER)),
                StructBytes.Of(_vm.GetIrqchip(KvmConstants.KVM_IRQCHIP_PIC_SLAVE)),
                StructBytes.Of(_vm.GetIrqchip(KvmConstants.KVM_IRQCHIP_IOAPIC)),
                StructBytes.Of(_vm.GetPit2()));
            kvmClock = StructBytes.Of(_pausedClock);
        }

        return new MachineSnapshot(SnapshotFiles.FormatVersion, SnapshotFiles.VmmVersion, _runners.Length, Config.MemoryMiB,
            Config.InKernelIrqchip, PvmCompat, CommandLine, vcpus, chips, kvmClock, Serial.SaveState(), Keyboard.SaveState(),
            [.. Virtio.Select(t => t.SaveState())]);
    }

    private VcpuSnapshot CaptureVcpu(KvmVcpu vcpu, uint[] msrList)
    {
        var xsave = _vm.CheckExtension(KvmIoctls.KVM_CAP_XSAVE) > 0;
        if (xsave && _vm.CheckExtension(KvmIoctls.KVM_CAP_XSAVE2) > System.Runtime.CompilerServices.Unsafe.SizeOf<kvm_xsave>())
        {
            // AMX-sized state does not fit kvm_xsave; KVM_GET_XSAVE2 with a larger buffer would be needed.
            throw new InvalidOperationException("this host's XSAVE state is larger than 4096 bytes (AMX): formation-vmm cannot snapshot it yet");
        }

        return new VcpuSnapshot(
            vcpu.Id,
            StructBytes.OfArray<kvm_cpuid_entry2>(_cpuid[(int)vcpu.Id]),
            StructBytes.Of(vcpu.GetRegs()),
            StructBytes.Of(vcpu.GetSregs()),
            StructBytes.Of(vcpu.GetFpu()),
            xsave ? StructBytes.Of(vcpu.GetXsave()) : null,
            _vm.CheckExtension(KvmIoctls.KVM_CAP_XCRS) > 0 ? StructBytes.Of(vcpu.GetXcrs()) : null,
            StructBytes.Of(vcpu.GetDebugRegs()),
            Config.InKernelIrqchip ? StructBytes.Of(vcpu.GetLapic()) : null,
            StructBytes.Of(vcpu.GetVcpuEvents()),
            vcpu.GetMpState(),
            ReadMsrs(vcpu, msrList));
    }

    /// <summary>Every MSR of the list KVM can read for this vCPU (KVM stops at one it cannot: that one is skipped).</summary>
    private List<MsrValue> ReadMsrs(KvmVcpu vcpu, uint[] list)
    {
        var result = new List<MsrValue>(list.Length);
        var wanted = list.AsSpan();
        while (!wanted.IsEmpty)
        {
            var read = vcpu.GetMsrs(wanted);
            result.AddRange(read.Select(e => new MsrValue(e.index, e.data)));
            if (read.Length == wanted.Length)
            {
                break;
            }

            LogMsrSkipped(vcpu.Id, wanted[read.Length]);
            wanted = wanted[(read.Length + 1)..];
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot written to {Directory}: {MemoryBytes} bytes of memory, {DataBytes} of them data, in {Milliseconds:F0} ms")]
    private partial void LogSnapshot(string directory, long memoryBytes, long dataBytes, double milliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "vCPU {Vcpu}: MSR 0x{Msr:x} is listed by KVM but cannot be read; not in the snapshot")]
    private partial void LogMsrSkipped(uint vcpu, uint msr);
}

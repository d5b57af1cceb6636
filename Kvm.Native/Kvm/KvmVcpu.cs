using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Interop;

namespace Formation.Kvm.Native.Kvm;

/// <summary>
/// A vCPU file descriptor and its mmap'd kvm_run. Register ioctls take the vCPU mutex in the kernel,
/// so they may only be called while no thread is inside <see cref="Run"/> for this vCPU.
/// </summary>
public sealed class KvmVcpu : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly MappedRegion _mapping;

    internal KvmVcpu(uint id, FileDescriptor fd, int mmapSize)
    {
        Id = id;
        _fd = fd;
        try
        {
            _mapping = MappedRegion.MapShared(fd.Value, (nuint)mmapSize, "kvm_run");
        }
        catch
        {
            fd.Dispose();
            throw;
        }

        RunData = kvm_run.FromMapping(_mapping);
    }

    public uint Id { get; }

    public int Fd => _fd.Value;

    /// <summary>The shared kvm_run area (valid until dispose).</summary>
    public kvm_run RunData { get; }

    /// <summary>One KVM_RUN. Returns 0, or -errno (-EINTR when kicked, -EAGAIN, -EFAULT ...). Not retried.</summary>
    public int Run() => Sys.IoctlOnce(Fd, KvmIoctls.KVM_RUN);

    public kvm_regs GetRegs() => Get<kvm_regs>(KvmIoctls.KVM_GET_REGS, "KVM_GET_REGS");

    public void SetRegs(kvm_regs regs) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_REGS, ref regs, "KVM_SET_REGS");

    public kvm_sregs GetSregs() => Get<kvm_sregs>(KvmIoctls.KVM_GET_SREGS, "KVM_GET_SREGS");

    public void SetSregs(kvm_sregs sregs) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_SREGS, ref sregs, "KVM_SET_SREGS");

    public kvm_fpu GetFpu() => Get<kvm_fpu>(KvmIoctls.KVM_GET_FPU, "KVM_GET_FPU");

    public void SetFpu(kvm_fpu fpu) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_FPU, ref fpu, "KVM_SET_FPU");

    public kvm_xsave GetXsave() => Get<kvm_xsave>(KvmIoctls.KVM_GET_XSAVE, "KVM_GET_XSAVE");

    public void SetXsave(kvm_xsave xsave) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_XSAVE, ref xsave, "KVM_SET_XSAVE");

    public kvm_xcrs GetXcrs() => Get<kvm_xcrs>(KvmIoctls.KVM_GET_XCRS, "KVM_GET_XCRS");

    public void SetXcrs(kvm_xcrs xcrs) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_XCRS, ref xcrs, "KVM_SET_XCRS");

    public kvm_debugregs GetDebugRegs() => Get<kvm_debugregs>(KvmIoctls.KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS");

    public void SetDebugRegs(kvm_debugregs regs) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_DEBUGREGS, ref regs, "KVM_SET_DEBUGREGS");

    public kvm_lapic_state GetLapic() => Get<kvm_lapic_state>(KvmIoctls.KVM_GET_LAPIC, "KVM_GET_LAPIC");

    public void SetLapic(kvm_lapic_state state) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_LAPIC, ref state, "KVM_SET_LAPIC");

    public kvm_vcpu_events GetVcpuEvents() => Get<kvm_vcpu_events>(KvmIoctls.KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS");

    public void SetVcpuEvents(kvm_vcpu_events events) =>
        Sys.Ioctl(Fd, KvmIoctls.KVM_SET_VCPU_EVENTS, ref events, "KVM_SET_VCPU_EVENTS");

    public uint GetMpState() => Get<uint>(KvmIoctls.KVM_GET_MP_STATE, "KVM_GET_MP_STATE");

    public void SetMpState(uint state) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_MP_STATE, ref state, "KVM_SET_MP_STATE");

    public void SetCpuid(ReadOnlySpan<kvm_cpuid_entry2> entries)
    {
        var buffer = WithHeader(new kvm_cpuid2 { nent = (uint)entries.Length }, MemoryMarshal.AsBytes(entries));
        Check(Sys.TryIoctl(Fd, KvmIoctls.KVM_SET_CPUID2, buffer), "KVM_SET_CPUID2");
    }

    /// <summary>KVM_SET_MSRS; throws unless every entry was accepted.</summary>
    public void SetMsrs(ReadOnlySpan<kvm_msr_entry> entries)
    {
        var buffer = WithHeader(new kvm_msrs { nmsrs = (uint)entries.Length }, MemoryMarshal.AsBytes(entries));
        var set = Check(Sys.TryIoctl(Fd, KvmIoctls.KVM_SET_MSRS, buffer), "KVM_SET_MSRS");
        if (set != entries.Length)
        {
            throw new KvmException("KVM_SET_MSRS", Errno.EINVAL,
                $"MSR 0x{entries[set].index:x} was rejected ({set} of {entries.Length} set)");
        }
    }

    /// <summary>
    /// KVM_GET_MSRS of <paramref name="indices"/>: the entries read, in order. KVM stops at the first MSR it cannot read,
    /// so the result may be shorter than the list (the caller decides what a missing one means).
    /// </summary>
    public kvm_msr_entry[] GetMsrs(ReadOnlySpan<uint> indices)
    {
        var entries = new kvm_msr_entry[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            entries[i].index = indices[i];
        }

        var buffer = WithHeader(new kvm_msrs { nmsrs = (uint)entries.Length }, MemoryMarshal.AsBytes(entries.AsSpan()));
        var read = Check(Sys.TryIoctl(Fd, KvmIoctls.KVM_GET_MSRS, buffer), "KVM_GET_MSRS");
        return MemoryMarshal.Cast<byte, kvm_msr_entry>(buffer.AsSpan(Unsafe.SizeOf<kvm_msrs>()))[..read].ToArray();
    }

    /// <summary>KVM_SET_SIGNAL_MASK: the signal mask in force while this vCPU is inside KVM_RUN.</summary>
    public void SetSignalMask(ulong kernelMask)
    {
        Span<byte> mask = stackalloc byte[SignalSet.KernelSize];
        BinaryPrimitives.WriteUInt64LittleEndian(mask, kernelMask);
        var buffer = WithHeader(new kvm_signal_mask { len = SignalSet.KernelSize }, mask);
        Check(Sys.TryIoctl(Fd, KvmIoctls.KVM_SET_SIGNAL_MASK, buffer), "KVM_SET_SIGNAL_MASK");
    }

    public void Dispose()
    {
        _mapping.Dispose();
        _fd.Dispose();
    }

    private T Get<T>(nuint request, string name)
        where T : unmanaged
    {
        var value = default(T);
        Sys.Ioctl(Fd, request, ref value, name);
        return value;
    }

    private static int Check(int result, string name) => result >= 0 ? result : throw new KvmException(name, -result);

    /// <summary>A kernel struct with a flexible array member: the header (kvm_cpuid2, kvm_msrs, kvm_signal_mask), then the entries.</summary>
    private static byte[] WithHeader<THeader>(THeader header, ReadOnlySpan<byte> entries)
        where THeader : unmanaged
    {
        var size = Unsafe.SizeOf<THeader>();
        var buffer = new byte[size + entries.Length];
        MemoryMarshal.Write(buffer, in header);
        entries.CopyTo(buffer.AsSpan(size));
        return buffer;
    }
}

using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Interop;

namespace Formation.Kvm.Native.Kvm;

/// <summary>A KVM virtual machine file descriptor: memory slots, irqchip, PIT, interrupt lines, clock, vCPUs.</summary>
public sealed class KvmVm : IDisposable
{
    private readonly FileDescriptor _fd;

    internal KvmVm(KvmSystem system, FileDescriptor fd)
    {
        System = system;
        _fd = fd;
    }

    public KvmSystem System { get; }

    public int Fd => _fd.Value;

    public int CheckExtension(int capability)
    {
        var r = Sys.TryIoctl(Fd, KvmIoctls.KVM_CHECK_EXTENSION, (nuint)capability);
        return r < 0 ? 0 : r;
    }

    public void SetTssAddr(uint address) =>
        Sys.Ioctl(Fd, KvmIoctls.KVM_SET_TSS_ADDR, address, "KVM_SET_TSS_ADDR");

    public void SetIdentityMapAddr(ulong address) =>
        Sys.Ioctl(Fd, KvmIoctls.KVM_SET_IDENTITY_MAP_ADDR, ref address, "KVM_SET_IDENTITY_MAP_ADDR");

    /// <summary>In-kernel PIC, IOAPIC and local APICs. Must precede vCPU creation.</summary>
    public void CreateIrqchip() => Sys.Ioctl(Fd, KvmIoctls.KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");

    public void CreatePit2()
    {
        var config = default(kvm_pit_config);
        Sys.Ioctl(Fd, KvmIoctls.KVM_CREATE_PIT2, ref config, "KVM_CREATE_PIT2");
    }

    public void SetUserMemoryRegion(uint slot, ulong guestPhysAddr, ulong size, nint hostAddress)
    {
        var region = new kvm_userspace_memory_region
        {
            slot = slot,
            guest_phys_addr = guestPhysAddr,
            memory_size = size,
            userspace_addr = (ulong)hostAddress,
        };
        Sys.Ioctl(Fd, KvmIoctls.KVM_SET_USER_MEMORY_REGION, ref region, "KVM_SET_USER_MEMORY_REGION");
    }

    /// <summary>KVM_IRQ_LINE; returns 0 or -errno (never throws: called from device code).</summary>
    public int TrySetIrqLine(uint gsi, bool high)
    {
        var level = new kvm_irq_level { irq = gsi, level = high ? 1u : 0u };
        var r = Sys.TryIoctl(Fd, KvmIoctls.KVM_IRQ_LINE, ref level);
        return r < 0 ? r : 0;
    }

    public kvm_clock_data GetClock()
    {
        var data = default(kvm_clock_data);
        Sys.Ioctl(Fd, KvmIoctls.KVM_GET_CLOCK, ref data, "KVM_GET_CLOCK");
        return data;
    }

    public void SetClock(kvm_clock_data data)
    {
        data.flags = 0;
        Sys.Ioctl(Fd, KvmIoctls.KVM_SET_CLOCK, ref data, "KVM_SET_CLOCK");
    }

    /// <summary>KVM_GET_IRQCHIP of one in-kernel controller (KVM_IRQCHIP_PIC_MASTER, PIC_SLAVE or IOAPIC).</summary>
    public kvm_irqchip GetIrqchip(uint chipId)
    {
        var chip = new kvm_irqchip { chip_id = chipId };
        Sys.Ioctl(Fd, KvmIoctls.KVM_GET_IRQCHIP, ref chip, "KVM_GET_IRQCHIP");
        return chip;
    }

    public void SetIrqchip(kvm_irqchip chip) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_IRQCHIP, ref chip, "KVM_SET_IRQCHIP");

    public kvm_pit_state2 GetPit2()
    {
        var state = default(kvm_pit_state2);
        Sys.Ioctl(Fd, KvmIoctls.KVM_GET_PIT2, ref state, "KVM_GET_PIT2");
        return state;
    }

    public void SetPit2(kvm_pit_state2 state) => Sys.Ioctl(Fd, KvmIoctls.KVM_SET_PIT2, ref state, "KVM_SET_PIT2");

    public KvmVcpu CreateVcpu(uint id)
    {
        var fd = Sys.TryIoctl(Fd, KvmIoctls.KVM_CREATE_VCPU, id);
        if (fd < 0)
        {
            throw new KvmException("KVM_CREATE_VCPU", -fd);
        }

        return new KvmVcpu(id, new FileDescriptor(fd), System.VcpuMmapSize);
    }

    public void Dispose() => _fd.Dispose();
}

namespace Formation.Kvm.Native.Bindings;

/// <summary>
/// KVM ioctl request numbers for x86-64, precomputed from the kernel's _IO/_IOR/_IOW/_IOWR macros
/// (dir &lt;&lt; 30 | size &lt;&lt; 16 | 0xAE &lt;&lt; 8 | nr). Names verbatim from &lt;linux/kvm.h&gt;;
/// the tests compare every value with a gcc-compiled probe.
/// </summary>
public static class KvmIoctls
{
    // /dev/kvm
    public const nuint KVM_GET_API_VERSION = 0xAE00;
    public const nuint KVM_CREATE_VM = 0xAE01;
    public const nuint KVM_CHECK_EXTENSION = 0xAE03;
    public const nuint KVM_GET_VCPU_MMAP_SIZE = 0xAE04;
    public const nuint KVM_GET_MSR_INDEX_LIST = 0xC004AE02;
    public const nuint KVM_GET_SUPPORTED_CPUID = 0xC008AE05;

    // VM
    public const nuint KVM_CREATE_VCPU = 0xAE41;
    public const nuint KVM_SET_USER_MEMORY_REGION = 0x4020AE46;
    public const nuint KVM_SET_TSS_ADDR = 0xAE47;
    public const nuint KVM_SET_IDENTITY_MAP_ADDR = 0x4008AE48;
    public const nuint KVM_CREATE_IRQCHIP = 0xAE60;
    public const nuint KVM_IRQ_LINE = 0x4008AE61;
    public const nuint KVM_GET_IRQCHIP = 0xC208AE62;
    public const nuint KVM_SET_IRQCHIP = 0x8208AE63;
    public const nuint KVM_IRQFD = 0x4020AE76;
    public const nuint KVM_CREATE_PIT2 = 0x4040AE77;
    public const nuint KVM_IOEVENTFD = 0x4040AE79;
    public const nuint KVM_SET_CLOCK = 0x4030AE7B;
    public const nuint KVM_GET_CLOCK = 0x8030AE7C;
    public const nuint KVM_GET_PIT2 = 0x8070AE9F;
    public const nuint KVM_SET_PIT2 = 0x4070AEA0;
    public const nuint KVM_SIGNAL_MSI = 0x4020AEA5;

    // vCPU
    public const nuint KVM_RUN = 0xAE80;
    public const nuint KVM_GET_REGS = 0x8090AE81;
    public const nuint KVM_SET_REGS = 0x4090AE82;
    public const nuint KVM_GET_SREGS = 0x8138AE83;
    public const nuint KVM_SET_SREGS = 0x4138AE84;
    public const nuint KVM_GET_MSRS = 0xC008AE88;
    public const nuint KVM_SET_MSRS = 0x4008AE89;
    public const nuint KVM_SET_SIGNAL_MASK = 0x4004AE8B;
    public const nuint KVM_GET_FPU = 0x81A0AE8C;
    public const nuint KVM_SET_FPU = 0x41A0AE8D;
    public const nuint KVM_GET_LAPIC = 0x8400AE8E;
    public const nuint KVM_SET_LAPIC = 0x4400AE8F;
    public const nuint KVM_SET_CPUID2 = 0x4008AE90;
    public const nuint KVM_GET_MP_STATE = 0x8004AE98;
    public const nuint KVM_SET_MP_STATE = 0x4004AE99;
    public const nuint KVM_GET_VCPU_EVENTS = 0x8040AE9F;
    public const nuint KVM_SET_VCPU_EVENTS = 0x4040AEA0;
    public const nuint KVM_GET_DEBUGREGS = 0x8080AEA1;
    public const nuint KVM_SET_DEBUGREGS = 0x4080AEA2;
    public const nuint KVM_GET_XSAVE = 0x9000AEA4;
    public const nuint KVM_SET_XSAVE = 0x5000AEA5;
    public const nuint KVM_GET_XCRS = 0x8188AEA6;
    public const nuint KVM_SET_XCRS = 0x4188AEA7;

    // Capabilities (KVM_CHECK_EXTENSION arguments)
    public const int KVM_CAP_IRQCHIP = 0;
    public const int KVM_CAP_HLT = 1;
    public const int KVM_CAP_USER_MEMORY = 3;
    public const int KVM_CAP_SET_TSS_ADDR = 4;
    public const int KVM_CAP_EXT_CPUID = 7;
    public const int KVM_CAP_NR_VCPUS = 9;
    public const int KVM_CAP_NR_MEMSLOTS = 10;
    public const int KVM_CAP_PIT2 = 33;
    public const int KVM_CAP_IRQFD = 32;
    public const int KVM_CAP_IOEVENTFD = 36;
    public const int KVM_CAP_SET_IDENTITY_MAP_ADDR = 37;
    public const int KVM_CAP_VCPU_EVENTS = 41;
    public const int KVM_CAP_DEBUGREGS = 50;
    public const int KVM_CAP_XSAVE = 55;
    public const int KVM_CAP_XCRS = 56;
    public const int KVM_CAP_MAX_VCPUS = 66;
    public const int KVM_CAP_SIGNAL_MSI = 77;
    public const int KVM_CAP_IMMEDIATE_EXIT = 136;
    public const int KVM_CAP_XSAVE2 = 208;

    public const int KVM_API_VERSION = 12;
}

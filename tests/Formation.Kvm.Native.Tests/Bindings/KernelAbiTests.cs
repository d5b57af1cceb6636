using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Bindings;

/// <summary>Struct layouts and ioctl numbers against &lt;linux/kvm.h&gt;, via a probe compiled with gcc.</summary>
public sealed class KernelAbiTests
{
    private static readonly Lazy<Dictionary<string, ulong>> Probe = new(RunProbe);

    private const string ProbeSource = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/kvm.h>
        #include <asm/processor-flags.h>
        #include <asm/mtrr.h>
        #define S(t) printf("sizeof %s %zu\n", #t, sizeof(struct t));
        #define O(t, f) printf("offsetof %s.%s %zu\n", #t, #f, offsetof(struct t, f));
        #define N(x) printf("ioctl %s %lu\n", #x, (unsigned long)(x));
        int main(void) {
          S(kvm_regs) S(kvm_sregs) S(kvm_segment) S(kvm_dtable) S(kvm_fpu) S(kvm_msr_entry) S(kvm_cpuid_entry2)
          S(kvm_userspace_memory_region) S(kvm_pit_config) S(kvm_irq_level) S(kvm_lapic_state) S(kvm_vcpu_events)
          S(kvm_clock_data) S(kvm_irqfd) S(kvm_run) S(kvm_msrs) S(kvm_cpuid2) S(kvm_signal_mask)
          S(kvm_xsave) S(kvm_xcrs) S(kvm_xcr) S(kvm_debugregs) S(kvm_irqchip) S(kvm_pit_state2) S(kvm_msr_list)
          O(kvm_xcrs, xcrs) O(kvm_xcrs, padding) O(kvm_debugregs, dr6) O(kvm_debugregs, flags) O(kvm_irqchip, chip)
          O(kvm_pit_state2, flags) O(kvm_msr_list, nmsrs) O(kvm_msr_list, indices)
          O(kvm_msrs, nmsrs) O(kvm_msrs, pad) O(kvm_msrs, entries) O(kvm_cpuid2, nent) O(kvm_cpuid2, padding) O(kvm_cpuid2, entries)
          O(kvm_signal_mask, len) O(kvm_signal_mask, sigset)
          O(kvm_regs, rsi) O(kvm_regs, rsp) O(kvm_regs, rip) O(kvm_regs, rflags)
          O(kvm_sregs, gdt) O(kvm_sregs, idt) O(kvm_sregs, cr0) O(kvm_sregs, cr3) O(kvm_sregs, cr4) O(kvm_sregs, efer)
          O(kvm_sregs, apic_base) O(kvm_sregs, interrupt_bitmap)
          O(kvm_segment, selector) O(kvm_segment, type) O(kvm_segment, present) O(kvm_segment, unusable)
          O(kvm_fpu, fcw) O(kvm_fpu, last_ip) O(kvm_fpu, xmm) O(kvm_fpu, mxcsr)
          O(kvm_vcpu_events, exception.error_code) O(kvm_vcpu_events, sipi_vector) O(kvm_vcpu_events, flags)
          O(kvm_vcpu_events, triple_fault) O(kvm_vcpu_events, exception_has_payload) O(kvm_vcpu_events, exception_payload)
          O(kvm_clock_data, realtime) O(kvm_clock_data, host_tsc)
          O(kvm_run, immediate_exit) O(kvm_run, exit_reason) O(kvm_run, if_flag) O(kvm_run, cr8) O(kvm_run, io)
          O(kvm_run, io.size) O(kvm_run, io.port) O(kvm_run, io.count) O(kvm_run, io.data_offset)
          O(kvm_run, mmio.phys_addr) O(kvm_run, mmio.data) O(kvm_run, mmio.len) O(kvm_run, mmio.is_write)
          O(kvm_run, internal.suberror) O(kvm_run, internal.ndata) O(kvm_run, internal.data)
          O(kvm_run, fail_entry.hardware_entry_failure_reason) O(kvm_run, system_event.type)
          N(KVM_GET_API_VERSION) N(KVM_CREATE_VM) N(KVM_CHECK_EXTENSION) N(KVM_GET_VCPU_MMAP_SIZE) N(KVM_GET_SUPPORTED_CPUID)
          N(KVM_CREATE_VCPU) N(KVM_SET_USER_MEMORY_REGION) N(KVM_SET_TSS_ADDR) N(KVM_SET_IDENTITY_MAP_ADDR)
          N(KVM_CREATE_IRQCHIP) N(KVM_IRQ_LINE) N(KVM_IRQFD) N(KVM_CREATE_PIT2) N(KVM_IOEVENTFD) N(KVM_SET_CLOCK)
          N(KVM_GET_CLOCK) N(KVM_SIGNAL_MSI) N(KVM_RUN) N(KVM_GET_REGS) N(KVM_SET_REGS) N(KVM_GET_SREGS) N(KVM_SET_SREGS)
          N(KVM_GET_MSRS) N(KVM_SET_MSRS) N(KVM_SET_SIGNAL_MASK) N(KVM_GET_FPU) N(KVM_SET_FPU) N(KVM_GET_LAPIC)
          N(KVM_SET_LAPIC) N(KVM_SET_CPUID2) N(KVM_GET_MP_STATE) N(KVM_SET_MP_STATE) N(KVM_GET_VCPU_EVENTS)
          N(KVM_SET_VCPU_EVENTS) N(KVM_GET_MSR_INDEX_LIST) N(KVM_GET_IRQCHIP) N(KVM_SET_IRQCHIP) N(KVM_GET_PIT2) N(KVM_SET_PIT2)
          N(KVM_GET_DEBUGREGS) N(KVM_SET_DEBUGREGS) N(KVM_GET_XSAVE) N(KVM_SET_XSAVE) N(KVM_GET_XCRS) N(KVM_SET_XCRS)
          N(KVM_CAP_DEBUGREGS) N(KVM_CAP_XSAVE) N(KVM_CAP_XCRS) N(KVM_CAP_XSAVE2) N(KVM_MP_STATE_SUSPENDED)
          N(KVM_IRQCHIP_PIC_MASTER) N(KVM_IRQCHIP_PIC_SLAVE) N(KVM_IRQCHIP_IOAPIC)
          N(KVM_VCPUEVENT_VALID_NMI_PENDING) N(KVM_VCPUEVENT_VALID_SIPI_VECTOR)
          N(KVM_CAP_IRQCHIP) N(KVM_CAP_NR_VCPUS) N(KVM_CAP_MAX_VCPUS) N(KVM_CAP_IMMEDIATE_EXIT) N(KVM_CAP_PIT2)
          N(KVM_CAP_IRQFD) N(KVM_CAP_SIGNAL_MSI) N(KVM_CAP_VCPU_EVENTS) N(KVM_API_VERSION) N(KVM_CAP_HLT) N(KVM_CAP_USER_MEMORY)
          N(KVM_CAP_SET_TSS_ADDR) N(KVM_CAP_EXT_CPUID) N(KVM_CAP_NR_MEMSLOTS) N(KVM_CAP_IOEVENTFD) N(KVM_CAP_SET_IDENTITY_MAP_ADDR)
          N(KVM_EXIT_IO) N(KVM_EXIT_MMIO) N(KVM_EXIT_HLT) N(KVM_EXIT_SHUTDOWN) N(KVM_EXIT_INTERNAL_ERROR) N(KVM_EXIT_SYSTEM_EVENT)
          N(KVM_EXIT_FAIL_ENTRY) N(KVM_EXIT_INTR) N(KVM_EXIT_IO_OUT) N(KVM_SYSTEM_EVENT_SHUTDOWN) N(KVM_SYSTEM_EVENT_RESET)
          N(KVM_SYSTEM_EVENT_CRASH) N(KVM_INTERNAL_ERROR_EMULATION) N(KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)
          N(KVM_MP_STATE_RUNNABLE) N(KVM_MP_STATE_UNINITIALIZED) N(KVM_MP_STATE_INIT_RECEIVED) N(KVM_MP_STATE_HALTED)
          N(X86_EFLAGS_FIXED) N(X86_EFLAGS_CF) N(X86_EFLAGS_PF) N(X86_EFLAGS_AF) N(X86_EFLAGS_ZF) N(X86_EFLAGS_SF) N(X86_EFLAGS_IF)
          N(X86_EFLAGS_OF) N(MTRR_TYPE_WRBACK)
          return 0;
        }
        """;

    public static TheoryData<string, int> Sizes => new()
    {
        { "kvm_regs", Unsafe.SizeOf<kvm_regs>() },
        { "kvm_sregs", Unsafe.SizeOf<kvm_sregs>() },
        { "kvm_segment", Unsafe.SizeOf<kvm_segment>() },
        { "kvm_dtable", Unsafe.SizeOf<kvm_dtable>() },
        { "kvm_fpu", Unsafe.SizeOf<kvm_fpu>() },
        { "kvm_msr_entry", Unsafe.SizeOf<kvm_msr_entry>() },
        { "kvm_cpuid_entry2", Unsafe.SizeOf<kvm_cpuid_entry2>() },
        { "kvm_userspace_memory_region", Unsafe.SizeOf<kvm_userspace_memory_region>() },
        { "kvm_pit_config", Unsafe.SizeOf<kvm_pit_config>() },
        { "kvm_irq_level", Unsafe.SizeOf<kvm_irq_level>() },
        { "kvm_lapic_state", Unsafe.SizeOf<kvm_lapic_state>() },
        { "kvm_vcpu_events", Unsafe.SizeOf<kvm_vcpu_events>() },
        { "kvm_clock_data", Unsafe.SizeOf<kvm_clock_data>() },
        { "kvm_irqfd", Unsafe.SizeOf<kvm_irqfd>() },
        { "kvm_msrs", Unsafe.SizeOf<kvm_msrs>() },
        { "kvm_cpuid2", Unsafe.SizeOf<kvm_cpuid2>() },
        { "kvm_signal_mask", Unsafe.SizeOf<kvm_signal_mask>() },
        { "kvm_xsave", Unsafe.SizeOf<kvm_xsave>() },
        { "kvm_xcrs", Unsafe.SizeOf<kvm_xcrs>() },
        { "kvm_xcr", Unsafe.SizeOf<kvm_xcr>() },
        { "kvm_debugregs", Unsafe.SizeOf<kvm_debugregs>() },
        { "kvm_irqchip", Unsafe.SizeOf<kvm_irqchip>() },
        { "kvm_pit_state2", Unsafe.SizeOf<kvm_pit_state2>() },
        { "kvm_msr_list", Unsafe.SizeOf<kvm_msr_list>() },
    };

    /// <summary>
    /// The headers of the structs that end in a flexible array member: each field where C has it, and the entries
    /// starting right after the C# header (where KvmVcpu and KvmSystem put them).
    /// </summary>
    [Theory]
    [InlineData(typeof(kvm_msrs), "entries")]
    [InlineData(typeof(kvm_cpuid2), "entries")]
    [InlineData(typeof(kvm_signal_mask), "sigset")]
    [InlineData(typeof(kvm_msr_list), "indices")]
    public void FlexibleArrayHeaders_MatchKernelHeader(Type header, string array)
    {
        RequireGcc();
        foreach (var field in header.GetFields())
        {
            Assert.Equal(Probe.Value[$"offsetof {header.Name}.{field.Name}"], (ulong)Marshal.OffsetOf(header, field.Name));
        }

        Assert.Equal(Probe.Value[$"sizeof {header.Name}"], (ulong)Marshal.SizeOf(header));
        Assert.Equal(Probe.Value[$"offsetof {header.Name}.{array}"], (ulong)Marshal.SizeOf(header));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void StructSize_MatchesKernelHeader(string name, int size)
    {
        RequireGcc();
        Assert.Equal(Probe.Value[$"sizeof {name}"], (ulong)size);
    }

    [Fact]
    public void FieldOffsets_MatchKernelHeader()
    {
        RequireGcc();
        var regs = default(kvm_regs);
        var sregs = default(kvm_sregs);
        var seg = default(kvm_segment);
        var fpu = default(kvm_fpu);
        var events = default(kvm_vcpu_events);
        var clock = default(kvm_clock_data);
        var xcrs = default(kvm_xcrs);
        var debug = default(kvm_debugregs);
        var chip = default(kvm_irqchip);
        var pit = default(kvm_pit_state2);
        var expected = new Dictionary<string, long>
        {
            ["kvm_regs.rsi"] = Offset(ref regs, ref regs.rsi),
            ["kvm_regs.rsp"] = Offset(ref regs, ref regs.rsp),
            ["kvm_regs.rip"] = Offset(ref regs, ref regs.rip),
            ["kvm_regs.rflags"] = Offset(ref regs, ref regs.rflags),
            ["kvm_sregs.gdt"] = Offset(ref sregs, ref sregs.gdt),
            ["kvm_sregs.idt"] = Offset(ref sregs, ref sregs.idt),
            ["kvm_sregs.cr0"] = Offset(ref sregs, ref sregs.cr0),
            ["kvm_sregs.cr3"] = Offset(ref sregs, ref sregs.cr3),
            ["kvm_sregs.cr4"] = Offset(ref sregs, ref sregs.cr4),
            ["kvm_sregs.efer"] = Offset(ref sregs, ref sregs.efer),
            ["kvm_sregs.apic_base"] = Offset(ref sregs, ref sregs.apic_base),
            ["kvm_sregs.interrupt_bitmap"] = Offset(ref sregs, ref sregs.interrupt_bitmap),
            ["kvm_segment.selector"] = Offset(ref seg, ref seg.selector),
            ["kvm_segment.type"] = Offset(ref seg, ref seg.type),
            ["kvm_segment.present"] = Offset(ref seg, ref seg.present),
            ["kvm_segment.unusable"] = Offset(ref seg, ref seg.unusable),
            ["kvm_fpu.fcw"] = Offset(ref fpu, ref fpu.fcw),
            ["kvm_fpu.last_ip"] = Offset(ref fpu, ref fpu.last_ip),
            ["kvm_fpu.xmm"] = Offset(ref fpu, ref fpu.xmm),
            ["kvm_fpu.mxcsr"] = Offset(ref fpu, ref fpu.mxcsr),
            ["kvm_vcpu_events.exception.error_code"] = Offset(ref events, ref events.exception_error_code),
            ["kvm_vcpu_events.sipi_vector"] = Offset(ref events, ref events.sipi_vector),
            ["kvm_vcpu_events.flags"] = Offset(ref events, ref events.flags),
            ["kvm_vcpu_events.triple_fault"] = Offset(ref events, ref events.triple_fault_pending),
            ["kvm_vcpu_events.exception_has_payload"] = Offset(ref events, ref events.exception_has_payload),
            ["kvm_vcpu_events.exception_payload"] = Offset(ref events, ref events.exception_payload),
            ["kvm_clock_data.realtime"] = Offset(ref clock, ref clock.realtime),
            ["kvm_clock_data.host_tsc"] = Offset(ref clock, ref clock.host_tsc),
            ["kvm_xcrs.xcrs"] = Offset(ref xcrs, ref xcrs.xcrs),
            ["kvm_xcrs.padding"] = Offset(ref xcrs, ref xcrs.padding),
            ["kvm_debugregs.dr6"] = Offset(ref debug, ref debug.dr6),
            ["kvm_debugregs.flags"] = Offset(ref debug, ref debug.flags),
            ["kvm_irqchip.chip"] = Offset(ref chip, ref chip.chip),
            ["kvm_pit_state2.flags"] = Offset(ref pit, ref pit.flags),
            ["kvm_run.immediate_exit"] = kvm_run.immediate_exit_offset,
            ["kvm_run.exit_reason"] = kvm_run.exit_reason_offset,
            ["kvm_run.if_flag"] = kvm_run.if_flag_offset,
            ["kvm_run.cr8"] = kvm_run.cr8_offset,
            ["kvm_run.io"] = kvm_run.io_direction_offset,
            ["kvm_run.io.size"] = kvm_run.io_size_offset,
            ["kvm_run.io.port"] = kvm_run.io_port_offset,
            ["kvm_run.io.count"] = kvm_run.io_count_offset,
            ["kvm_run.io.data_offset"] = kvm_run.io_data_offset_offset,
            ["kvm_run.mmio.phys_addr"] = kvm_run.mmio_phys_addr_offset,
            ["kvm_run.mmio.data"] = kvm_run.mmio_data_offset,
            ["kvm_run.mmio.len"] = kvm_run.mmio_len_offset,
            ["kvm_run.mmio.is_write"] = kvm_run.mmio_is_write_offset,
            ["kvm_run.internal.suberror"] = kvm_run.internal_suberror_offset,
            ["kvm_run.internal.ndata"] = kvm_run.internal_ndata_offset,
            ["kvm_run.internal.data"] = kvm_run.internal_data_offset,
            ["kvm_run.fail_entry.hardware_entry_failure_reason"] = kvm_run.fail_entry_hardware_entry_failure_reason_offset,
            ["kvm_run.system_event.type"] = kvm_run.system_event_type_offset,
        };
        foreach (var (field, offset) in expected)
        {
            Assert.True(Probe.Value[$"offsetof {field}"] == (ulong)offset, $"{field}: C# {offset}, C {Probe.Value[$"offsetof {field}"]}");
        }
    }

    /// <summary>Every constant of the class, by name, against the header's value.</summary>
    [Theory]
    [InlineData(typeof(KvmIoctls))]
    [InlineData(typeof(KvmConstants))]
    public void EveryConstant_MatchesKernelHeader(Type constants)
    {
        RequireGcc();
        foreach (var (name, value) in Literals(constants))
        {
            Assert.True(Probe.Value.TryGetValue($"ioctl {name}", out var c), $"{name} is not in the probe");
            Assert.True(c == value, $"{name}: C# 0x{value:x}, C 0x{c:x}");
        }
    }

    [Fact]
    public void ExitReasons_MatchKernelHeader()
    {
        RequireGcc();
        Assert.Equal((ulong)KvmExitReason.KVM_EXIT_IO, Probe.Value["ioctl KVM_EXIT_IO"]);
        Assert.Equal((ulong)KvmExitReason.KVM_EXIT_SYSTEM_EVENT, Probe.Value["ioctl KVM_EXIT_SYSTEM_EVENT"]);
        Assert.Equal((ulong)KvmExitReason.KVM_EXIT_INTERNAL_ERROR, Probe.Value["ioctl KVM_EXIT_INTERNAL_ERROR"]);
        Assert.Equal((ulong)kvm_run.KVM_EXIT_IO_OUT, Probe.Value["ioctl KVM_EXIT_IO_OUT"]);
    }

    [Fact]
    public void X86Constants_FromUserSpaceHeaders_MatchThem()
    {
        RequireGcc();
        var checkedNames = new List<string>();
        foreach (var (name, value) in Literals(typeof(X86Constants)))
        {
            if (Probe.Value.TryGetValue($"ioctl {name}", out var c))
            {
                Assert.True(c == value, $"{name}: C# 0x{value:x}, C 0x{c:x}");
                checkedNames.Add(name);
            }
        }

        // The RFLAGS bits and memory types are in <asm/processor-flags.h> and <asm/mtrr.h>; MSR and APIC numbers are not.
        Assert.Equal(9, checkedNames.Count);
    }

    private static Dictionary<string, ulong> Literals(Type type) =>
        type.GetFields().Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => Convert.ToUInt64(f.GetRawConstantValue()));

    [Fact]
    public void KvmRun_FitsInSmallestMapping()
    {
        RequireGcc();
        Assert.True(Probe.Value["sizeof kvm_run"] <= 4096);
        Assert.True(Probe.Value["sizeof kvm_run"] > (ulong)kvm_run.internal_data_offset + 128);
    }

    private static long Offset<TStruct, TField>(ref TStruct s, ref TField f) =>
        Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref s), ref Unsafe.As<TField, byte>(ref f));

    private static void RequireGcc() =>
        Prerequisites.Require(Tools.Exists("gcc") && File.Exists("/usr/include/linux/kvm.h"),
            "gcc or /usr/include/linux/kvm.h (Debian packages build-essential, linux-libc-dev) is missing: cannot compile the ABI probe");

    private static Dictionary<string, ulong> RunProbe()
    {
        using var dir = Tools.CreateTempDir();
        File.WriteAllText(dir.File("probe.c"), ProbeSource);
        Tools.Run("gcc", "-o", dir.File("probe"), dir.File("probe.c"));
        var result = new Dictionary<string, ulong>();
        foreach (var line in Tools.Run(dir.File("probe")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            result[$"{parts[0]} {parts[1]}"] = ulong.Parse(parts[2]);
        }

        return result;
    }
}

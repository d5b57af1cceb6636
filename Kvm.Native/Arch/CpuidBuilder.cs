using Formation.Kvm.Native.Bindings;

namespace Formation.Kvm.Native.Arch;

/// <summary>
/// Per-vCPU CPUID from KVM_GET_SUPPORTED_CPUID: APIC ids and topology (one socket, one thread per core),
/// the hypervisor bit, and — on nested PVM hosts — the masks from KVM-NOTES (CX16, KVM PV features
/// that hang APs there). Pure: testable without /dev/kvm.
/// </summary>
public static class CpuidBuilder
{
    public const uint Cx16 = 1u << 13;
    public const uint Hypervisor = 1u << 31;
    public const uint Htt = 1u << 28;
    public const uint KvmFeaturePvUnhalt = 1u << 7;
    public const uint KvmFeaturePvTlbFlush = 1u << 9;
    public const uint KvmFeaturePvSendIpi = 1u << 11;
    public const uint KvmFeaturePvSchedYield = 1u << 13;
    public const uint KvmCpuidFeatures = 0x4000_0001;

    public static kvm_cpuid_entry2[] Build(ReadOnlySpan<kvm_cpuid_entry2> supported, uint apicId, int vcpus, bool pvmCompat)
    {
        var entries = supported.ToArray();
        var coreShift = 0;
        while ((1 << coreShift) < vcpus)
        {
            coreShift++;
        }

        for (var i = 0; i < entries.Length; i++)
        {
            ref var e = ref entries[i];
            switch (e.function)
            {
                case 1:
                    e.ebx = (e.ebx & 0x0000_ffff) | (apicId << 24) | ((uint)Math.Min(vcpus, 255) << 16);
                    e.ecx |= Hypervisor;
                    e.edx = vcpus > 1 ? e.edx | Htt : e.edx & ~Htt;
                    if (pvmCompat)
                    {
                        e.ecx &= ~Cx16;
                    }

                    break;
                case 0xb:
                case 0x1f:
                    // Extended topology: level 0 = SMT (1 thread), level 1 = core (vcpus cores).
                    e.edx = apicId;
                    switch (e.index)
                    {
                        case 0:
                            e.eax = 0;
                            e.ebx = 1;
                            e.ecx = (1u << 8) | e.index;
                            break;
                        case 1:
                            e.eax = (uint)coreShift;
                            e.ebx = (uint)vcpus;
                            e.ecx = (2u << 8) | e.index;
                            break;
                        default:
                            e.eax = 0;
                            e.ebx = 0;
                            e.ecx = e.index;
                            break;
                    }

                    break;
                case KvmCpuidFeatures:
                    if (pvmCompat)
                    {
                        e.eax &= ~(KvmFeaturePvUnhalt | KvmFeaturePvTlbFlush | KvmFeaturePvSendIpi | KvmFeaturePvSchedYield);
                    }

                    break;
            }
        }

        return entries;
    }
}

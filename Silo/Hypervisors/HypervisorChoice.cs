using Formation.Silo.Platform;

namespace Formation.Silo.Hypervisors;

/// <summary>Which driver a node runs and why.</summary>
public sealed record HypervisorChoice(string Driver, string Reason)
{
    /// <summary>
    /// Resolves the configured driver name against what this host offers. <c>sim</c> is used only when asked for by
    /// name; <c>auto</c> never picks it.
    /// </summary>
    public static HypervisorChoice Choose(string configured, HostFacts facts, IReadOnlyCollection<string> builtIn)
    {
        if (configured != DriverNames.Auto)
        {
            if (configured == DriverNames.None || builtIn.Contains(configured))
            {
                return new HypervisorChoice(configured, $"configured ({facts.KvmDetail})");
            }

            return new HypervisorChoice(DriverNames.None, $"driver '{configured}' was configured but is not available here (not built in, or its program is not installed)");
        }

        if (facts.KvmKind == KvmKind.Hardware && builtIn.Contains(DriverNames.Kvm))
        {
            return new HypervisorChoice(DriverNames.Kvm, "auto: hardware virtualization available (" + facts.KvmDetail + ")");
        }

        var why = facts.KvmKind switch
        {
            KvmKind.Hardware => "auto: hardware virtualization available; QEMU with KVM acceleration",
            KvmKind.NestedPvm => "auto: KVM here is nested PVM (no vmx/svm), which cannot run stock guests; QEMU with TCG",
            _ => "auto: no usable /dev/kvm; QEMU with TCG (software emulation)",
        };
        return builtIn.Contains(DriverNames.Qemu)
            ? new HypervisorChoice(DriverNames.Qemu, why)
            : new HypervisorChoice(DriverNames.None, $"{why}, but qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
    }
}

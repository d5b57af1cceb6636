using Formation.Silo.Nodes;

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
        if (configured != "auto")
        {
            if (configured == "none" || builtIn.Contains(configured))
            {
                return new HypervisorChoice(configured, $"configured ({facts.KvmDetail})");
            }

            return new HypervisorChoice("none", $"driver '{configured}' was configured but is not built into this version");
        }

        string preferred = facts.KvmKind == KvmKind.Hardware ? "kvm" : "qemu";
        var why = facts.KvmKind switch
        {
            KvmKind.Hardware => "auto: hardware virtualization available",
            KvmKind.NestedPvm => "auto: KVM here is nested PVM, which cannot run stock guests; using QEMU (TCG)",
            _ => "auto: no usable /dev/kvm; using QEMU (TCG)",
        };
        if (builtIn.Contains(preferred))
        {
            return new HypervisorChoice(preferred, why);
        }

        return new HypervisorChoice("none", $"{why}, but the {preferred} driver is not built into this version");
    }
}

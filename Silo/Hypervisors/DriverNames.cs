namespace Formation.Silo.Hypervisors;

/// <summary>The names a node's hypervisor driver can have: in configuration (<c>--driver</c>), node records and launch records.</summary>
public static class DriverNames
{
    /// <summary>Chooses <see cref="Kvm"/> or <see cref="Qemu"/> from what the host offers; never <see cref="Sim"/>.</summary>
    public const string Auto = "auto";

    /// <summary>formation-vmm, Formation's own VMM, one process per VM.</summary>
    public const string Kvm = "kvm";

    /// <summary>qemu-system-x86_64 over QMP (KVM acceleration on hardware, TCG elsewhere).</summary>
    public const string Qemu = "qemu";

    /// <summary>Simulated VMs for scale tests and benchmarks; only when asked for by name.</summary>
    public const string Sim = "sim";

    /// <summary>No driver: every VM operation on the node fails with the reason.</summary>
    public const string None = "none";

    /// <summary>Every name <c>--driver</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Configurable = [Auto, Kvm, Qemu, Sim, None];
}

using Formation.Vmm.Protocol;

namespace Formation.Silo.Hypervisors.Kvm;

/// <summary>The kvm driver (section Formation:Kvm).</summary>
public sealed class KvmOptions
{
    public const string Section = "Formation:Kvm";

    /// <summary>formation-vmm; default: next to formation-silo, else on PATH.</summary>
    public string? Binary { get; set; }

    /// <summary>Nested-PVM compatibility: auto (detect), on, off — passed to formation-vmm.</summary>
    public CompatMode Compat { get; set; } = CompatMode.Auto;
}

namespace Formation.Silo.Platform;

/// <summary>What kind of KVM a host offers.</summary>
public enum KvmKind
{
    /// <summary>/dev/kvm is missing or cannot be opened.</summary>
    None,

    /// <summary>KVM on VT-x or AMD-V: stock guests run at native speed.</summary>
    Hardware,

    /// <summary>/dev/kvm without vmx/svm (e.g. the kvm_pvm module): guest kernels run under emulation.</summary>
    NestedPvm,
}

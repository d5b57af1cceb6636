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

    /// <summary>
    /// Memory formation-vmm needs beyond guest RAM, for its cgroup's <c>memory.max</c>: the .NET runtime and JIT, device
    /// buffers, KVM's per-VM kernel memory, and the page cache of the kernel and initrd it reads (measured by
    /// <c>bench/Vmm</c> P3; the cgroup reclaims page cache before it kills).
    /// </summary>
    public int MemoryOverheadMiB { get; set; } = 96;

    /// <summary>The VM process jail: a uid per VM (<c>--run-as</c>), the seccomp allow-list, and a cgroup.</summary>
    public VmJailOptions Jail { get; set; } = new();

    /// <summary>
    /// Tests only: start formation-vmm with <c>--testing-seccomp-probe</c>, so SIGUSR2 makes it call a system call its
    /// allow-list denies. Never set in a deployment.
    /// </summary>
    public bool TestingSeccompProbe { get; set; }
}

namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>The qemu driver (section Formation:Qemu).</summary>
public sealed class QemuOptions
{
    public const string Section = "Formation:Qemu";

    public string Binary { get; set; } = "qemu-system-x86_64";

    /// <summary>auto (kvm on hardware virtualization, tcg elsewhere), kvm or tcg.</summary>
    public string Accelerator { get; set; } = "auto";

    /// <summary>TCG translation cache per VM in MiB (QEMU's default is 1 GiB of address space).</summary>
    public int TcgCacheMiB { get; set; } = 128;

    /// <summary>Memory QEMU needs beyond guest RAM (its own heap, device state, and the TCG cache under TCG).</summary>
    public int MemoryOverheadMiB { get; set; } = 192;

    /// <summary>The VM process jail: a uid per VM (<c>-runas</c>), <c>-sandbox on</c>, <c>-chroot</c> and a cgroup.</summary>
    public VmJailOptions Jail { get; set; } = new();
}

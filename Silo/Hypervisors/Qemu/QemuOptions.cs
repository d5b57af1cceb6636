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
}

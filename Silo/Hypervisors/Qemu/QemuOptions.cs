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

    /// <summary>
    /// Whether running VMs move live when QEMU runs them with TCG (no hardware virtualization). Off: with QEMU 7.2, TCG's
    /// dirty-page tracking lost guest writes during pre-copy when the host was busy — the guest crashed on the target after
    /// about one move in four with every core loaded (never with the guest paused for the stream) — so TCG guests move by
    /// stop and copy. KVM guests (the kernel's dirty log) move live.
    /// </summary>
    public bool LiveMigrationWithTcg { get; set; }

    /// <summary>Memory QEMU needs beyond guest RAM (its own heap, device state, and the TCG cache under TCG).</summary>
    public int MemoryOverheadMiB { get; set; } = 192;

    /// <summary>
    /// How often the silo trims the console logs QEMU writes (QEMU cannot cap them itself): between two trims a guest can
    /// take its log past the cap by what it prints in this time.
    /// </summary>
    public TimeSpan ConsoleLogTrimInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>What is wrong with these options, each saying what to do (empty when nothing is).</summary>
    public IEnumerable<string> Problems()
    {
        if (ConsoleLogTrimInterval <= TimeSpan.Zero || ConsoleLogTrimInterval > TimeSpan.FromMinutes(1))
        {
            yield return $"Qemu:ConsoleLogTrimInterval {ConsoleLogTrimInterval} must be more than 0 and at most 1 minute (default 00:00:00.250).";
        }
    }

    /// <summary>The VM process jail: a uid per VM (<c>-runas</c>), <c>-sandbox on</c>, <c>-chroot</c> and a cgroup.</summary>
    public VmJailOptions Jail { get; set; } = new();
}

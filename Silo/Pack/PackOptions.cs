namespace Formation.Silo.Pack;

/// <summary>Options of the image builder and store (bound from the <c>Formation:Pack</c> configuration section).</summary>
public sealed class PackOptions
{
    public const string SectionName = "Formation:Pack";

    /// <summary>Root of the node's image data: <c>images/</c> (the store) and <c>pack/</c> (layer cache, temp).</summary>
    public string DataDirectory { get; set; } = "/var/lib/formation";

    /// <summary>Guest kernel (a bzImage or a directory holding one); null = <see cref="GuestKernelLocator"/>'s default.</summary>
    public string? GuestKernelPath { get; set; }

    /// <summary>The static busybox copied into every image (init, tiny base).</summary>
    public string BusyboxPath { get; set; } = "/bin/busybox";

    /// <summary>apt sources for the Debian base (a file passed to mmdebstrap); null = the machine's own Debian sources.</summary>
    public string? DebianSourcesFile { get; set; }

    /// <summary>Debian suite of the <c>debian:bookworm</c> base.</summary>
    public string DebianSuite { get; set; } = "bookworm";

    /// <summary>Lines of a failed step's output kept for the error report.</summary>
    public int OutputTailLines { get; set; } = 30;

    /// <summary>Longest a single step (RUN, INSTALL, base build) may run.</summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromMinutes(30);

    internal PackPaths Paths => new(DataDirectory);
}

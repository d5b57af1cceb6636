namespace Formation.Silo.Pack;

/// <summary>Options of the image builder and store (bound from the <c>Formation:Pack</c> configuration section).</summary>
public sealed class PackOptions
{
    public const string SectionName = "Formation:Pack";

    /// <summary>Root of the node's image data: <c>images/</c> (the store) and <c>pack/</c> (layer cache, temp).</summary>
    public string DataDirectory { get; set; } = "/var/lib/formation";

    /// <summary>Guest kernel (a bzImage or a directory holding one); null = <see cref="GuestKernelLocator"/>'s default.</summary>
    public string? GuestKernelPath { get; set; }

    /// <summary>Guest agent (formation-agent, or a directory holding it); null = <see cref="GuestAgentLocator"/>'s default.</summary>
    public string? GuestAgentPath { get; set; }

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

    /// <summary>
    /// First host uid (and gid) of the range build steps run as: root inside a RUN/INSTALL/COPY is this uid on the
    /// host, and in-image uid N is <c>BuildUidBase + N</c> in the layer store. Keep it outside every range given
    /// to real users (/etc/subuid) and to VMs.
    /// </summary>
    public long BuildUidBase { get; set; } = 1_000_000_000;

    /// <summary>How many uids (and gids) the build range holds (in-image ids 0 … count-1).</summary>
    public long BuildUidCount { get; set; } = 65536;

    /// <summary>The cgroup (under the v2 root, or under each v1 controller) that build steps' cgroups are made in.</summary>
    public string CgroupParent { get; set; } = "formation-pack";

    /// <summary>Most processes and threads one build step may have at once (pids.max): a fork bomb stops here.</summary>
    public long StepPidsMax { get; set; } = 4096;

    /// <summary>Most memory one build step may use (memory.max).</summary>
    public long StepMemoryMaxBytes { get; set; } = 4L << 30;

    /// <summary>CPUs' worth of time one build step may use (cpu.max); default half the host's cores, at least one.</summary>
    public double StepCpus { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// The addresses INSTALL steps' network namespaces get, one /30 per running step (host end .1, step .2 of each).
    /// It must not overlap the cluster's overlay (10.77.0.0/16), the node's bridges or any route of the host.
    /// </summary>
    public string BuildNetworkSubnet { get; set; } = "10.78.0.0/24";

    /// <summary>
    /// Resolvers written into INSTALL steps' <c>/etc/resolv.conf</c>; empty = the host's own (<c>/etc/resolv.conf</c>),
    /// which must not be on loopback (a step's loopback is its own).
    /// </summary>
    public string[] BuildNameServers { get; set; } = [];

    /// <summary>
    /// Most bytes a build may write when its Formfile sets no DISK, and the ceiling of a Formfile's DISK: a build's
    /// steps write onto a file system of this size (or of DISK), so a <c>dd</c> cannot fill the host's disk.
    /// </summary>
    public long BuildDiskMaxBytes { get; set; } = 16L << 30;

    /// <summary>
    /// Where build disks (sparse ext4 images, loop-mounted) are made and kept between builds, empty while idle
    /// (<see cref="BuildDiskPool"/>). Host-wide and outside <c>pack/</c>, so a data directory can be removed while
    /// disks of the pool stay mounted.
    /// </summary>
    public string BuildDiskDirectory { get; set; } = "/var/lib/formation/build-disks";

    /// <summary>
    /// Benchmark only: builds without the per-step cgroup, the INSTALL network namespace and the build disk (the user
    /// namespace stays: layers are stored with shifted owners). Refused unless the environment variable
    /// <see cref="BenchmarkEnvironmentVariable"/> is <c>1</c>; the silo refuses it always.
    /// </summary>
    public bool BenchmarkWithoutSandbox { get; set; }

    /// <summary>Environment variable a benchmark sets to be allowed <see cref="BenchmarkWithoutSandbox"/>.</summary>
    public const string BenchmarkEnvironmentVariable = "FORMATION_BENCHMARK_UNSANDBOXED_BUILDS";

    internal PackPaths Paths => new(DataDirectory, BuildUidBase);
}

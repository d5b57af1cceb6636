using System.Collections.Immutable;
using Formation.Formfiles;

namespace Formation.Images;

/// <summary>
/// A built image: content-addressed by <see cref="Digest"/> (SHA-256 of this manifest's canonical JSON without
/// <see cref="Digest"/> and <see cref="CreatedAt"/>), stored as <c>images/&lt;hex&gt;/manifest.json</c> next to
/// its root filesystem. Everything a hypervisor needs to boot it: kernel reference, kernel command line
/// (the hypervisor appends network parts such as <c>ip=</c>), root filesystem and default resources.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Images.ImageManifest")]
public sealed record ImageManifest
{
    /// <summary>Version of this manifest's layout.</summary>
    public const int CurrentSchemaVersion = 1;

    [Id(0)] public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary><c>sha256:&lt;64 hex&gt;</c>.</summary>
    [Id(1)] public string Digest { get; init; } = "";

    /// <summary>The Formfile's <c>NAME</c>.</summary>
    [Id(2)] public required string Name { get; init; }

    [Id(3)] public string? Description { get; init; }

    /// <summary>The base it was built from (<c>tiny</c>, <c>debian:bookworm</c>).</summary>
    [Id(4)] public required BaseImage Base { get; init; }

    [Id(5)] public string Architecture { get; init; } = "x86_64";

    [Id(6)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The guest kernel, or null when the node had none at build time (the hypervisor then uses its own).</summary>
    [Id(7)] public KernelReference? Kernel { get; init; }

    /// <summary>Base kernel command line: <c>console=ttyS0</c>, plus <c>root=/dev/vda rw</c> for disk images.</summary>
    [Id(8)] public required string KernelCommandLine { get; init; }

    [Id(9)] public required ImageArtifact RootFilesystem { get; init; }

    /// <summary>The service the guest init starts after printing <c>FORMATION-GUEST-READY</c>; null = none.</summary>
    [Id(10)] public FormfileEntrypoint? Entrypoint { get; init; }

    [Id(11)] public ImmutableArray<EnvVariable> Environment { get; init; } = [];

    [Id(12)] public string Workdir { get; init; } = "/";

    [Id(13)] public ImmutableArray<ImageUser> Users { get; init; } = [];

    [Id(14)] public ImmutableArray<ExposedPort> ExposedPorts { get; init; } = [];

    /// <summary>Default vCPU, memory, disk and GPUs for VMs made from this image.</summary>
    [Id(15)] public required FormfileResources Resources { get; init; }

    /// <summary>Layer cache keys, base first.</summary>
    [Id(16)] public ImmutableArray<string> Layers { get; init; } = [];

    /// <summary>SHA-256 of the Formfile text it was built from.</summary>
    [Id(17)] public string FormfileDigest { get; init; } = "";

    /// <summary>Whether a shell answers on the serial console (Formfile <c>CONSOLE</c>); a VM may override it.</summary>
    [Id(18)] public ConsoleMode Console { get; init; } = ConsoleMode.Shell;

    /// <summary>
    /// The Formfile's <c>HEALTHCHECK</c>: what <c>form deploy</c> gives the service's replicas unless its flags say
    /// otherwise. Left out of the JSON when null, so images without one keep their digests.
    /// </summary>
    [Id(19)]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Formation.Services.HealthCheck? Health { get; init; }

    /// <summary>The line the guest prints on its console when it is up, before the entrypoint starts.</summary>
    public const string ReadyLine = "FORMATION-GUEST-READY";
}

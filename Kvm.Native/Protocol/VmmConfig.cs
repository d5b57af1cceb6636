using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// formation-vmm's VM config file (<c>--config vmm.json</c>, camelCase JSON; see Kvm.Native/README.md). Paths are
/// absolute or relative to the config file. Unknown properties and nulls where a value is required are errors, so a
/// typo does not pass silently. The silo's kvm driver writes it, formation-vmm reads it.
/// Properties have setters, not <c>init</c>: the System.Text.Json source generator sets an init-only property that the
/// JSON leaves out to its type's default, which would lose the defaults below (<c>"{}"</c> would mean 0 vCPUs).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record VmmConfig
{
    /// <summary>ELF vmlinux (preferred) or bzImage.</summary>
    public string? Kernel { get; set; }

    public string? Initrd { get; set; }

    public string Cmdline { get; set; } = "console=ttyS0";

    public int Vcpus { get; set; } = 1;

    public int MemoryMiB { get; set; } = 256;

    public IReadOnlyList<DiskConfig> Disks { get; set; } = [];

    public IReadOnlyList<NetConfig> Nets { get; set; } = [];

    /// <summary>Add a virtio-rng device.</summary>
    public bool Rng { get; set; } = true;

    /// <summary>Console output is appended here (optional).</summary>
    public string? ConsoleLog { get; set; }

    /// <summary>How much output <see cref="ConsoleLog"/> keeps; the oldest is dropped beyond it (see <see cref="Protocol.ConsoleLogCap"/>).</summary>
    public ConsoleLogCap ConsoleLogCap { get; set; } = new();

    /// <summary>Unix socket for the control API (optional).</summary>
    public string? ControlSocket { get; set; }

    /// <summary>The VMM writes its pid here and removes the file at exit (optional).</summary>
    public string? PidFile { get; set; }

    /// <summary>Nested-PVM compatibility: <c>"auto"</c> (default), <c>"on"</c> or <c>"off"</c>.</summary>
    public CompatMode Compat { get; set; } = CompatMode.Auto;

    /// <summary>Force the MP table on or off (default: on).</summary>
    public bool? MpTable { get; set; }

    /// <summary>A virtio-vsock device with a hybrid Unix-socket host side (null: none).</summary>
    public VsockConfig? Vsock { get; set; }

    /// <summary>
    /// A snapshot directory written by <see cref="SnapshotRequest"/>: the VM starts from it instead of booting (kernel and
    /// initrd are then not needed). vcpus, memory and devices must be those of the VM that was snapshotted; disks, TAPs
    /// and sockets are this config's.
    /// </summary>
    public string? RestoreFrom { get; set; }
}

using System.Text.Json;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// formation-vmm's VM config (JSON, camelCase). Paths are absolute or relative to the config file.
/// Unknown properties are an error, so typos do not pass silently.
/// </summary>
public sealed record VmConfigFile
{
    public string? Kernel { get; set; }

    public string? Initrd { get; set; }

    public string Cmdline { get; set; } = "console=ttyS0";

    public int Vcpus { get; set; } = 1;

    public int MemoryMiB { get; set; } = 256;

    public List<DiskEntry> Disks { get; set; } = [];

    public List<NetEntry> Nets { get; set; } = [];

    public bool Rng { get; set; } = true;

    /// <summary>Console output is appended here (optional).</summary>
    public string? ConsoleLog { get; set; }

    /// <summary>Unix socket for the control API (optional).</summary>
    public string? ControlSocket { get; set; }

    /// <summary>The VMM writes its pid here and removes the file at exit (optional).</summary>
    public string? PidFile { get; set; }

    /// <summary>"auto" (default), "on" or "off": nested-PVM compatibility.</summary>
    public string Compat { get; set; } = "auto";

    /// <summary>Force the MP table on or off (default: on).</summary>
    public bool? MpTable { get; set; }

    public sealed record DiskEntry
    {
        public required string Path { get; init; }

        public bool ReadOnly { get; set; }

        public string? Serial { get; set; }
    }

    public sealed record NetEntry
    {
        public required string Tap { get; set; }

        public string? Mac { get; set; }
    }

    /// <summary>Reads and checks a config file; the exception message says what is wrong.</summary>
    public static VmConfigFile Load(string path)
    {
        VmConfigFile? config;
        try
        {
            config = JsonSerializer.Deserialize(File.ReadAllText(path), VmJsonContext.Default.VmConfigFile);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: invalid VM config: {e.Message}", e);
        }

        if (config is null)
        {
            throw new ArgumentException($"{path}: the VM config is empty");
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? Resolve(string? p) => p is null ? null : Path.GetFullPath(p, dir);
        return config with
        {
            Kernel = Resolve(config.Kernel),
            Initrd = Resolve(config.Initrd),
            ConsoleLog = Resolve(config.ConsoleLog),
            ControlSocket = Resolve(config.ControlSocket),
            PidFile = Resolve(config.PidFile),
            Disks = [.. config.Disks.Select(d => d with { Path = Resolve(d.Path)! })],
        };
    }

    public MachineConfig ToMachineConfig() => new()
    {
        KernelPath = Kernel,
        InitrdPath = Initrd,
        CommandLine = Cmdline,
        Vcpus = Vcpus,
        MemoryMiB = MemoryMiB,
        Disks = [.. Disks.Select(d => new DiskConfig(d.Path, d.ReadOnly, d.Serial))],
        Nets = [.. Nets.Select(n => new NetConfig(n.Tap, n.Mac))],
        Rng = Rng,
        MpTable = MpTable,
        Compat = Compat.ToLowerInvariant() switch
        {
            "auto" => CompatMode.Auto,
            "on" => CompatMode.On,
            "off" => CompatMode.Off,
            _ => throw new ArgumentException($"compat must be \"auto\", \"on\" or \"off\" (got \"{Compat}\")"),
        },
    };
}

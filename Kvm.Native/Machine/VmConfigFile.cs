using Formation.Vmm.Protocol;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// formation-vmm's side of the config file (<see cref="VmmConfig"/>, the contract shared with the silo): loading it
/// with paths resolved against the file's folder, and turning it into a <see cref="MachineConfig"/>.
/// </summary>
public static class VmConfigFile
{
    /// <summary>Reads and checks a config file; the exception message names the file and says what is wrong.</summary>
    public static VmmConfig Load(string path)
    {
        VmmConfig config;
        try
        {
            config = VmmProtocol.ParseConfig(File.ReadAllText(path));
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"{path}: {e.Message}", e);
        }

        if (config.ConsoleLogCap.Problem() is { } problem)
        {
            throw new ArgumentException($"{path}: consoleLogCap.maxBytes: {problem}");
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? Resolve(string? p) => p is null ? null : Path.GetFullPath(p, dir);
        var resolved = config with
        {
            Kernel = Resolve(config.Kernel),
            Initrd = Resolve(config.Initrd),
            ConsoleLog = Resolve(config.ConsoleLog),
            ControlSocket = Resolve(config.ControlSocket),
            PidFile = Resolve(config.PidFile),
            RestoreFrom = Resolve(config.RestoreFrom),
            Disks = [.. config.Disks.Select(d => d with { Path = Resolve(d.Path)! })],
            Vsock = config.Vsock is { } v ? v with { Socket = v.Socket.Length == 0 ? "" : Resolve(v.Socket)! } : null,
        };
        if (resolved.Vsock?.Problem() is { } vsockProblem)
        {
            throw new ArgumentException($"{path}: vsock: {vsockProblem}");
        }

        return resolved;
    }

    public static MachineConfig ToMachineConfig(this VmmConfig config) => new()
    {
        KernelPath = config.Kernel,
        InitrdPath = config.Initrd,
        CommandLine = config.Cmdline,
        Vcpus = config.Vcpus,
        MemoryMiB = config.MemoryMiB,
        Disks = config.Disks,
        Nets = config.Nets,
        Rng = config.Rng,
        Vsock = config.Vsock,
        MpTable = config.MpTable,
        Compat = config.Compat,
        RestoreFrom = config.RestoreFrom,
    };
}

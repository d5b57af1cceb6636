using System.Diagnostics;
using Formation.Silo.Platform;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Hypervisors.Kvm;

/// <summary>
/// The <c>kvm</c> driver: one <c>formation-vmm</c> (Formation's own VMM, Kvm.Native) per VM, detached from the silo
/// (its own session; it keeps running when the silo dies), driven over its control socket. Jailed (<see cref="VmJail"/>):
/// the VM's own uid via <c>--run-as</c>, formation-vmm's seccomp allow-list, and a cgroup.
/// </summary>
public sealed partial class KvmDriver(IOptions<KvmOptions> options, ILogger<KvmDriver> logger) : IHypervisorDriver
{
    public string Name => DriverNames.Kvm;

    /// <summary>The formation-vmm executable, or null when this build and PATH have none.</summary>
    public string? Binary => options.Value.Binary ?? FindBinary();

    public static string? FindBinary()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "formation-vmm");
        return File.Exists(beside) ? beside : HostFacts.OnPath("formation-vmm") ? "formation-vmm" : null;
    }

    public async Task<IVmProcess> LaunchAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken)
    {
        var jailed = options.Value.Jail.Required(); // before anything is touched: an unjailed launch may be refused
        directory.EnsureRunPath();
        var binary = Binary ?? throw new InvalidOperationException("formation-vmm is not installed next to formation-silo or on PATH");
        foreach (var stale in new[] { directory.PidFile, directory.ControlSocket, directory.VsockSocket })
        {
            File.Delete(stale);
        }

        File.Delete(directory.File(ExitStatusFile));
        var jail = jailed ? VmJail.Prepare(launch, directory, options.Value.Jail, options.Value.MemoryOverheadMiB) : null;
        var config = directory.File("vmm.json");
        await File.WriteAllTextAsync(config, VmmProtocol.SerializeConfig(Config(launch, directory)), cancellationToken);

        var vmm = new List<string> { "--config", config, "--log", directory.HypervisorLog };
        if (jail is not null)
        {
            // formation-vmm opens /dev/kvm, the TAP, the disk, the log and its sockets as root, then becomes the VM's uid
            // and installs its seccomp allow-list before the guest's first instruction.
            vmm.AddRange(["--run-as", $"{jail.Uid}:{jail.Uid}"]);
        }
        else
        {
            vmm.Add("--no-seccomp");
        }

        if (options.Value.TestingSeccompProbe)
        {
            vmm.Add("--testing-seccomp-probe");
        }

        // Started through a shell that exits at once, so formation-vmm is not the silo's child and shares no pipe with it;
        // a small waiter shell stays its parent and records how it ended (its exit status, or 128 + the signal that
        // killed it: the only way to learn of a SIGSYS from the seccomp filter), whether or not the silo still runs.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true, WorkingDirectory = PrepareStaging(directory, jail?.Uid) };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(LaunchScript);
        start.ArgumentList.Add("formation-vmm-waiter");
        start.ArgumentList.Add(directory.File(ExitStatusFile));
        IEnumerable<string> command = jail is null ? [binary, .. vmm] : ["/bin/sh", .. jail.Cgroup.EnterArguments(binary, vmm)];
        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        using (var shell = Process.Start(start)!)
        {
            await shell.WaitForExitAsync(cancellationToken);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(File.Exists(directory.ControlSocket) && ProcessInfo.TryReadPid(directory.PidFile, out _)))
        {
            if (DateTime.UtcNow > deadline)
            {
                if (ProcessInfo.TryReadPid(directory.PidFile, out var orphan))
                {
                    ProcessInfo.Kill(orphan);
                }

                var log = File.Exists(directory.HypervisorLog) ? string.Join(" | ", File.ReadLines(directory.HypervisorLog).TakeLast(6)) : "no log";
                throw new InvalidOperationException($"formation-vmm did not come up for VM {launch.VmId}: {log}");
            }

            await Task.Delay(50, cancellationToken);
        }

        ProcessInfo.TryReadPid(directory.PidFile, out var pid);
        LogLaunched(launch.VmId, pid, jail is null ? "unjailed" : $"uid {jail.Uid}");
        return new KvmProcess(pid, directory, Released(launch));
    }

    /// <summary>Where the waiter shell writes formation-vmm's exit status (in the VM's directory).</summary>
    public const string ExitStatusFile = "vmm.exit";

    /// <summary>$1 is the status file, the rest the command; the waiter writes the status atomically once it ends.</summary>
    private const string LaunchScript = """
        exec </dev/null >/dev/null 2>&1
        status=$1; shift
        ( "$@"; echo $? > "$status.tmp"; mv -f "$status.tmp" "$status" ) &
        """;

    private Action Released(VmLaunch launch) => () => VmJail.Release(launch.VmId, options.Value.Jail);

    public Task<IVmProcess?> AdoptAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken)
    {
        var alive = ProcessInfo.TryReadPid(directory.PidFile, out var pid) && ProcessInfo.IsAlive(pid) &&
                    ProcessInfo.CommandLineContains(pid, directory.File("vmm.json")) && File.Exists(directory.ControlSocket);
        return Task.FromResult<IVmProcess?>(alive ? new KvmProcess(pid, directory, Released(launch)) : null);
    }

    /// <summary>The VMM's config file for <paramref name="launch"/>: the contract's <see cref="VmmConfig"/>, never hand-built JSON.</summary>
    internal VmmConfig Config(VmLaunch launch, VmDirectory directory) => new()
    {
        Kernel = File.Exists(directory.File("vmlinux")) ? directory.File("vmlinux") : directory.Kernel,
        Initrd = launch.HasInitrd ? directory.Initrd : null,
        Cmdline = launch.KernelCommandLine,
        Vcpus = launch.VCpus,
        MemoryMiB = checked((int)launch.MemoryMiB),
        Rng = true,
        ConsoleLog = directory.ConsoleLog,
        ConsoleLogCap = launch.ConsoleLogCap,
        ControlSocket = directory.ControlSocket,
        PidFile = directory.PidFile,
        Compat = options.Value.Compat,
        Disks = launch.HasDisk ? [new DiskConfig(directory.Disk, Serial: "root")] : [],
        Nets = launch.Network is { } n ? [new NetConfig(n.Tap, n.Mac)] : [],
        Vsock = new VsockConfig(GuestCid, directory.VsockSocket),
        RestoreFrom = launch.RestoreFrom,
    };

    /// <summary>Every VM's vsock context id: each VM has its own device, so they need not differ (the guest agent listens on it).</summary>
    public const ulong GuestCid = 3;

    /// <summary>
    /// An empty <see cref="VmDirectory.SnapshotStaging"/> owned by the VM's uid (0700), which becomes formation-vmm's working
    /// directory: snapshots are written there and moved into the store (<see cref="KvmProcess.SnapshotAsync"/>).
    /// </summary>
    private static string PrepareStaging(VmDirectory directory, long? uid)
    {
        var staging = directory.SnapshotStaging;
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true); // a snapshot the previous VMM never finished
        }

        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (uid is { } owner)
        {
            HostOwnership.Chown(staging, owner, owner);
        }

        return staging;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: formation-vmm running as pid {Pid} ({Jail})")]
    private partial void LogLaunched(string vmId, int pid, string jail);
}

using System.Globalization;
using Formation.Silo.Platform;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>
/// The <c>qemu</c> driver: one daemonized <c>qemu-system-x86_64 -M pc</c> per VM (it outlives the silo), controlled over
/// QMP, serial console to a log file (kept under its cap by a <see cref="ConsoleLogTrimmer"/>) and a socket, virtio disk/net/rng. <c>-accel kvm</c> where the host has
/// hardware virtualization, TCG (software) elsewhere — including nested-PVM hosts, where KVM cannot run stock guests.
/// Jailed (<see cref="VmJail"/>): its own uid via <c>-runas</c>, <c>-sandbox on</c>, <c>-chroot</c>, and a cgroup.
/// </summary>
public sealed partial class QemuDriver(IOptions<QemuOptions> options, HostFacts host, ILogger<QemuDriver> logger) : IHypervisorDriver
{
    public string Name => DriverNames.Qemu;

    public bool MigratesLive => UsesKvm || options.Value.LiveMigrationWithTcg;

    public bool UsesKvm => options.Value.Accelerator switch
    {
        "kvm" => true,
        "tcg" => false,
        _ => host.KvmKind == KvmKind.Hardware,
    };

    public async Task<IVmProcess> LaunchAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken)
    {
        var jailed = options.Value.Jail.Required(); // before anything is touched: an unjailed launch may be refused
        if (launch.RestoreFrom is { } snapshot && !File.Exists(Path.Combine(snapshot, QemuProcess.StateFile)))
        {
            throw new FileNotFoundException($"the snapshot has no qemu machine state ({Path.Combine(snapshot, QemuProcess.StateFile)} is missing)");
        }

        directory.EnsureRunPath();
        foreach (var stale in new[] { directory.PidFile, directory.ControlSocket, directory.ConsoleSocket, directory.AgentSocket })
        {
            File.Delete(stale);
        }

        var jail = jailed
            ? VmJail.Prepare(launch, directory, options.Value.Jail, options.Value.MemoryOverheadMiB + (UsesKvm ? 0 : options.Value.TcgCacheMiB))
            : null;
        var args = Arguments(launch, directory, jail);
        var result = jail is null
            ? await ProcessRunner.RunAsync(options.Value.Binary, args, null, 40, TimeSpan.FromMinutes(1), cancellationToken)
            : await ProcessRunner.RunAsync("/bin/sh", jail.Cgroup.EnterArguments(options.Value.Binary, args), null, 40, TimeSpan.FromMinutes(1), cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"qemu could not start VM {launch.VmId} (exit {result.ExitCode}): {string.Join(" | ", result.OutputTail.TakeLast(8))}");
        }

        IVmProcess? process;
        try
        {
            process = await ConnectAsync(launch, directory, cancellationToken);
        }
        catch
        {
            // The daemon runs but cannot be controlled: do not leave it behind.
            if (ProcessInfo.TryReadPid(directory.PidFile, out var orphan))
            {
                ProcessInfo.Kill(orphan);
            }

            throw;
        }

        if (process is null)
        {
            throw new InvalidOperationException($"qemu started VM {launch.VmId} but its process is gone at once.");
        }

        if (launch.RestoreFrom is { } state)
        {
            try
            {
                await ((QemuProcess)process).RestoreAsync(state, cancellationToken);
            }
            catch
            {
                await process.KillAsync(CancellationToken.None);
                await process.DisposeAsync();
                throw;
            }
        }

        LogLaunched(launch.VmId, process.Pid, UsesKvm ? "kvm" : "tcg");
        return process;
    }

    public Task<IVmProcess?> AdoptAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken) =>
        ConnectAsync(launch, directory, cancellationToken);

    private async Task<IVmProcess?> ConnectAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken)
    {
        if (!ProcessInfo.TryReadPid(directory.PidFile, out var pid) || !ProcessInfo.IsAlive(pid) ||
            !ProcessInfo.CommandLineContains(pid, ProcessName(launch.VmId)))
        {
            return null;
        }

        var qmp = await QmpClient.ConnectAsync(directory.ControlSocket, cancellationToken);
        var trimmer = ConsoleLogTrimmer.Start(directory.ConsoleLog, launch.ConsoleLogCap, options.Value.ConsoleLogTrimInterval, launch.VmId, logger);
        return new QemuProcess(pid, qmp, directory, () => VmJail.Release(launch.VmId, options.Value.Jail), trimmer);
    }

    /// <summary>The process name QEMU runs under; also how a pid file is checked to still be this VM's QEMU.</summary>
    public static string ProcessName(string vmId) => "formation-" + vmId;

    internal List<string> Arguments(VmLaunch launch, VmDirectory directory, VmJail? jail = null)
    {
        var accel = UsesKvm ? "kvm" : $"tcg,tb-size={options.Value.TcgCacheMiB}";
        var args = new List<string>
        {
            "-name", $"{ProcessName(launch.VmId)},process={ProcessName(launch.VmId)}",
            "-machine", "pc", "-accel", accel, "-cpu", UsesKvm ? "host" : "qemu64",
            "-smp", launch.VCpus.ToString(CultureInfo.InvariantCulture),
            "-m", launch.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", directory.Kernel, "-append", launch.KernelCommandLine,
            "-chardev", $"socket,id=console0,path={directory.ConsoleSocket},server=on,wait=off,logfile={directory.ConsoleLog},logappend=on",
            "-serial", "chardev:console0",
            "-qmp", $"unix:{directory.ControlSocket},server=on,wait=off",
            "-device", "virtio-rng-pci",
            // The guest agent's port (formation-agent, Silo/Pack/GuestAgent/PROTOCOL.md): a virtio-serial port whose
            // host side is a Unix socket qemu listens on; the silo connects for each exec session.
            "-device", "virtio-serial-pci,id=agentbus",
            "-chardev", $"socket,id=agent,path={directory.AgentSocket},server=on,wait=off",
            "-device", $"virtserialport,bus=agentbus.0,chardev=agent,name={Formation.Agent.AgentProtocol.PortName}",
            "-pidfile", directory.PidFile,
            "-daemonize",
        };
        if (jail is not null)
        {
            // Everything (kvm, tap, disk, sockets, log) is opened as root; then, before the guest's first instruction,
            // QEMU installs its seccomp filter, chroots into an empty directory and becomes the VM's own uid.
            args.AddRange(["-sandbox", "on,obsolete=deny,resourcecontrol=deny", "-chroot", EmptyRoot(directory),
                "-runas", $"{jail.Uid}:{jail.Uid}"]);
        }

        if (launch.HasInitrd)
        {
            args.AddRange(["-initrd", directory.Initrd]);
        }

        if (launch.HasDisk)
        {
            // auto-read-only=off: a snapshot (migration) deactivates the disk at its end, and with auto-read-only QEMU would
            // then reopen the image read-only by its path, which does not exist inside its chroot (the snapshot fails).
            args.AddRange(["-drive", $"file={directory.Disk},format=raw,if=none,id=root,cache=none,aio=threads,auto-read-only=off",
                "-device", "virtio-blk-pci,drive=root"]);
        }

        if (launch.Network is { } net)
        {
            args.AddRange(["-netdev", $"tap,id=net0,ifname={net.Tap},script=no,downscript=no", "-device", $"virtio-net-pci,netdev=net0,mac={net.Mac}"]);
        }

        if (launch.Balloon)
        {
            // Without deflate-on-oom the guest's MemTotal shrinks with the balloon: what `form vm resize` promises is what it sees.
            args.AddRange(["-device", "virtio-balloon-pci,id=balloon0"]);
        }

        // Devices added while it ran (hotplug), at the slots they had then: a restore loads the state into the same layout.
        foreach (var disk in launch.Disks)
        {
            var file = $"{{\"driver\":\"file\",\"filename\":{System.Text.Json.JsonSerializer.Serialize(DeviceSlots.DiskFile(directory, disk.Id))}}}";
            args.AddRange(["-blockdev", $"{{\"driver\":\"raw\",\"node-name\":\"{QemuProcess.BlockNode(disk.Id)}\",\"file\":{file}}}",
                "-device", $"virtio-blk-pci,id={disk.Id},drive={QemuProcess.BlockNode(disk.Id)},serial={disk.Id},addr={DeviceSlots.Disk(disk.Id)}"]);
        }

        foreach (var nic in launch.Nics)
        {
            args.AddRange(["-netdev", $"tap,id={QemuProcess.NetDev(nic.Id)},ifname={nic.Tap},script=no,downscript=no",
                "-device", $"virtio-net-pci,id={nic.Id},netdev={QemuProcess.NetDev(nic.Id)},mac={nic.Mac},addr={DeviceSlots.Nic(nic.Id)},romfile="]);
        }

        if (launch.RestoreFrom is not null || launch.Incoming)
        {
            // Same machine and devices as when it was saved (or as on the node it leaves); the state is loaded over QMP once
            // QEMU runs (QemuProcess.RestoreAsync, or ReceiveLiveAsync from a live migration's socket).
            args.AddRange(["-incoming", "defer"]);
        }

        return args;
    }

    /// <summary>An empty, root-owned directory QEMU chroots into once it has opened everything it needs.</summary>
    private static string EmptyRoot(VmDirectory directory)
    {
        var chroot = directory.File("jail");
        Directory.CreateDirectory(chroot);
        File.SetUnixFileMode(chroot, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return chroot;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: qemu running as pid {Pid} ({Accel})")]
    private partial void LogLaunched(string vmId, int pid, string accel);
}

using System.Diagnostics;
using Formation.Silo.Platform;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Hypervisors.Kvm;

/// <summary>
/// The <c>kvm</c> driver: one <c>formation-vmm</c> (Formation's own VMM, Kvm.Native) per VM, detached from the silo
/// (its own session; it keeps running when the silo dies), driven over its control socket.
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
        directory.EnsureRunPath();
        var binary = Binary ?? throw new InvalidOperationException("formation-vmm is not installed next to formation-silo or on PATH");
        foreach (var stale in new[] { directory.PidFile, directory.ControlSocket })
        {
            File.Delete(stale);
        }

        var config = directory.File("vmm.json");
        await File.WriteAllTextAsync(config, VmmProtocol.SerializeConfig(Config(launch, directory)), cancellationToken);

        // Started through a shell that exits at once: formation-vmm is nobody's child and shares no pipe with the silo.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" --config \"$1\" --log \"$2\" </dev/null >/dev/null 2>&1 &");
        start.ArgumentList.Add(binary);
        start.ArgumentList.Add(config);
        start.ArgumentList.Add(directory.HypervisorLog);
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
        LogLaunched(launch.VmId, pid);
        return new KvmProcess(pid, directory);
    }

    public Task<IVmProcess?> AdoptAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken)
    {
        var alive = ProcessInfo.TryReadPid(directory.PidFile, out var pid) && ProcessInfo.IsAlive(pid) &&
                    ProcessInfo.CommandLineContains(pid, directory.File("vmm.json")) && File.Exists(directory.ControlSocket);
        return Task.FromResult<IVmProcess?>(alive ? new KvmProcess(pid, directory) : null);
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
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: formation-vmm running as pid {Pid}")]
    private partial void LogLaunched(string vmId, int pid);
}

using System.Runtime.InteropServices;
using Formation.Kvm.Native.Interop;
using Formation.Kvm.Native.Machine;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;

namespace Formation.Vmm;

/// <summary>Runs one VM: build, pid file, control socket, signals, boot, wait, clean up, exit status.</summary>
internal static partial class VmmHost
{
    public static async Task<int> RunAsync(VmmConfig file, bool boot, VmmJail jail, bool seccompProbe, ILogger logger)
    {
        VirtualMachine vm;
        try
        {
            vm = new MachineBuilder(file.ToMachineConfig()).WithLogger(logger).WithConsoleLog(file.ConsoleLog, file.ConsoleLogCap).Build();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError("cannot set up the VM: {Message}", e.Message);
            return (int)ExitReason.SetupError;
        }

        // The kernel and initrd images (tens of MiB) were read into arrays to load them; give that memory
        // back to the system now instead of carrying it for the VM's lifetime.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        using (vm)
        {
            ControlServer? control = null;
            try
            {
                if (file.PidFile is not null)
                {
                    await File.WriteAllTextAsync(file.PidFile, $"{Environment.ProcessId}\n");
                }

                if (file.ControlSocket is not null)
                {
                    control = ControlServer.Start(vm, file.ControlSocket, logger);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
            {
                logger.LogError("cannot set up the VMM: {Message}", e.Message);
                Cleanup(file);
                return (int)ExitReason.SetupError;
            }

            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Kill(c, vm, "SIGTERM"));
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Kill(c, vm, "SIGINT"));
            using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => c.Cancel = true);
            using var probe = seccompProbe ? PosixSignalRegistration.Create(SIGUSR2, _ => CallExecve(logger)) : null;
            try
            {
                jail.Apply(logger);
            }
            catch (Exception e) when (e is NativeException or InvalidOperationException or ArgumentException)
            {
                logger.LogError("cannot jail the VMM: {Message}", e.Message);
                if (control is not null)
                {
                    await control.DisposeAsync();
                }

                Cleanup(file);
                return (int)ExitReason.SetupError;
            }

            if (boot)
            {
                vm.Start();
            }

            var reason = await vm.Exited;
            logger.LogInformation("exit status {Status} ({Reason}): {Detail}", (int)reason, reason, vm.ExitDetail);
            if (control is not null)
            {
                await control.DisposeAsync();
            }

            Cleanup(file);
            return (int)reason;
        }
    }

    private const PosixSignal SIGUSR2 = (PosixSignal)12;

    /// <summary>The test-only seccomp probe: a call the allow-list denies. Under the filter the process dies here (SIGSYS).</summary>
    private static void CallExecve(ILogger logger)
    {
        logger.LogWarning("testing seccomp probe: calling execve(\"/bin/true\")");
        var result = Sys.TryExecve("/bin/true");
        logger.LogError("testing seccomp probe: execve returned {Result}: no filter stopped it", result);
    }

    private static void Kill(PosixSignalContext context, VirtualMachine vm, string signal)
    {
        context.Cancel = true;
        vm.Kill($"{signal} received");
    }

    private static void Cleanup(VmmConfig file)
    {
        if (file.PidFile is not null)
        {
            try
            {
                File.Delete(file.PidFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Jailed, the VMM may no longer write the (root's) directory: the silo removes stale pid files.
            }
        }
    }
}

using System.Runtime.InteropServices;
using Formation.Kvm.Native.Machine;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;

namespace Formation.Vmm;

/// <summary>Runs one VM: build, pid file, control socket, signals, boot, wait, clean up, exit status.</summary>
internal static partial class VmmHost
{
    public static async Task<int> RunAsync(VmmConfig file, bool boot, ILogger logger)
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
            catch (IOException)
            {
            }
        }
    }
}

using System.Net.Sockets;
using Formation.Silo.Platform;

namespace Formation.Silo.Hypervisors;

/// <summary>What every driver's <see cref="IVmProcess"/> does the same way.</summary>
public static class VmProcessHelpers
{
    /// <summary>
    /// Ends a VM process: asks politely (<paramref name="askToQuit"/>, 5 s), waits for the pid to go (5 s), then SIGKILL;
    /// returns how the process ended as its watcher saw it.
    /// </summary>
    public static async Task<VmExit> KillAsync(int pid, Task<VmExit> exited, Func<CancellationToken, Task> askToQuit, CancellationToken cancellationToken)
    {
        if (!exited.IsCompleted)
        {
            try
            {
                await askToQuit(cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Not answering (or already gone) is what SIGKILL below is for.
            }

            if (!await ProcessInfo.WaitForExitAsync(pid, TimeSpan.FromSeconds(5), cancellationToken))
            {
                ProcessInfo.Kill(pid);
            }
        }

        return await exited.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    /// <summary>Reads and drops what a console socket sends: output is read from the console log instead, and an unread
    /// socket would eventually stall the guest's serial port.</summary>
    public static async Task DrainAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}

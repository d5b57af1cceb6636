using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.Hosting;

/// <summary>
/// Bounds how long a stopping silo may take. A graceful stop that cannot finish — its PostgreSQL is gone and the
/// membership update and state writes keep retrying — must not keep the process alive: once <c>timeout</c> has passed
/// since SIGTERM/Ctrl-C, the watchdog says so and ends the process at once (SIGKILL to itself: no further clean-up can
/// hang). VM processes run in their own sessions and keep running, as after any crash; the next start re-adopts them.
/// </summary>
public sealed class ShutdownWatchdog(TimeSpan timeout, string nodeId)
{
    public TimeSpan Timeout => timeout;

    /// <summary>Arms the watchdog when the host starts stopping.</summary>
    public void Watch(IHostApplicationLifetime lifetime) =>
        lifetime.ApplicationStopping.Register(() => _ = Task.Run(BiteAsync));

    private async Task BiteAsync()
    {
        await Task.Delay(timeout);
        await Console.Error.WriteLineAsync(
            $"formation-silo: node '{nodeId}' did not stop within {timeout.TotalSeconds:0} s (is its database reachable?); exiting now. " +
            "Its VMs keep running and are re-adopted at the next start.");
        await Console.Error.FlushAsync();
        Process.GetCurrentProcess().Kill();
    }
}

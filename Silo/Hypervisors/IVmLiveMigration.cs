using System.Net.Sockets;

namespace Formation.Silo.Hypervisors;

/// <summary>
/// A VM process that can move to another node while it runs (qemu: pre-copy of memory and device state over a socket;
/// no disks). A driver whose processes cannot (formation-vmm today) does not implement it; its VMs migrate by stop and copy.
/// </summary>
public interface IVmLiveMigration
{
    /// <summary>
    /// Sends the running guest's memory and device state over <paramref name="stream"/> (connected to the receiving
    /// node) and returns once the receiver has all of it; the guest here is paused from then on. On failure it runs on here.
    /// </summary>
    Task SendLiveAsync(Socket stream, CancellationToken cancellationToken);

    /// <summary>
    /// Loads what <see cref="SendLiveAsync"/> sends into this process (started to receive, <see cref="VmLaunch.Incoming"/>)
    /// and returns once the guest runs here.
    /// </summary>
    Task ReceiveLiveAsync(Socket stream, CancellationToken cancellationToken);
}

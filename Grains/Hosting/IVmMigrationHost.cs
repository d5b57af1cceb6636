using Formation.Vms;

namespace Formation.Grains.Hosting;

/// <summary>
/// Live migration on a node whose driver can move a VM while it runs (<see cref="IVmHost.Migration"/>; qemu). The stream
/// goes from node to node inside the mesh (overlay addresses), opened with a one-time token.
/// </summary>
public interface IVmMigrationHost
{
    /// <summary>
    /// On the new node: prepares the VM as for a boot (image, disk, TAP with its address, not yet claimed in the mesh) and
    /// starts a process that waits for its state from <paramref name="fromNode"/>; once the state has arrived and the guest
    /// runs, the node claims the VM's address, tells the other nodes, and reports Running (or Failed). Returns where to
    /// send the state, or null when this node cannot take a VM live (no mesh): then nothing was started.
    /// </summary>
    Task<MigrationInbox?> ReceiveAsync(VmInfo vm, string fromNode, CancellationToken cancellationToken);

    /// <summary>
    /// On the VM's node: sends the running VM to <paramref name="inbox"/> and returns once the new node has all of it; the
    /// process here stays, paused, until it is deleted (the move done) or continued (<see cref="IVmHost.ResumeAsync"/>).
    /// On failure the VM runs on here.
    /// </summary>
    Task SendAsync(VmInfo vm, MigrationInbox inbox, CancellationToken cancellationToken);
}

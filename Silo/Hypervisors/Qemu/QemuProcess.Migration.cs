using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>
/// Live migration (pre-copy): the running guest's memory and device state are sent over a connected socket while it
/// runs, then it pauses for the last dirty pages (QEMU's downtime limit) and the receiving QEMU, started with
/// <c>-incoming defer</c>, continues it. Both ends get the socket as a descriptor (<c>getfd</c>): the jailed QEMU opens
/// nothing itself. Disks do not travel in it (VMs with a disk move by stop and copy), nor do TCG guests by default
/// (<see cref="QemuOptions.LiveMigrationWithTcg"/>): with QEMU 7.2 under load, pre-copy of a TCG guest left it crashed on
/// the target in about one run in four, with or without its disk in the stream.
/// </summary>
public sealed partial class QemuProcess : IVmLiveMigration
{
    /// <summary>How long the guest may stay paused for the last pass (QEMU's default is 300 ms).</summary>
    private const long DowntimeLimitMilliseconds = 100;

    public async Task SendLiveAsync(Socket stream, CancellationToken cancellationToken)
    {
        await _qmp.ExecuteAsync("migrate-set-parameters", new JsonObject
        {
            ["max-bandwidth"] = UnlimitedBandwidth,
            ["downtime-limit"] = DowntimeLimitMilliseconds,
        }, cancellationToken);
        await StartMigrationAsync(LiveFdName, stream.SafeHandle, cancellationToken);
        try
        {
            await WaitForMigrationAsync("sending the VM to its new node", cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Before its last phase a cancelled migration leaves the guest running here, as it was.
            await TryAsync("migrate_cancel", null);
            throw;
        }

        await WaitWhileFinishingMigrationAsync();
    }

    public async Task ReceiveLiveAsync(Socket stream, CancellationToken cancellationToken)
    {
        await _qmp.ExecuteAsync("getfd", new JsonObject { ["fdname"] = LiveFdName }, stream.SafeHandle, cancellationToken);
        await _qmp.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = "fd:" + LiveFdName }, cancellationToken);
        await WaitForMigrationAsync("receiving the VM from its old node", cancellationToken);

        // QEMU starts the guest by itself when the stream says it ran.
        await WaitWhileFinishingMigrationAsync();
    }

    private const string LiveFdName = "formation-live";
}

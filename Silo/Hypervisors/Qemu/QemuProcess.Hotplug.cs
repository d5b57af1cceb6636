using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Formation.Silo.Platform;

namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>
/// Hotplug over QMP on <c>-M pc</c>: ACPI PCI hotplug (PIIX4), each added device at the slot its id fixes
/// (<see cref="DeviceSlots"/>). QEMU is chrooted and unprivileged by the time a device is added, so the silo opens the disk
/// file or TAP and hands QEMU the descriptor (<c>add-fd</c> + <c>/dev/fdset/N</c>, <c>getfd</c> + <c>netdev_add fd=</c>).
/// Removal is the guest's to complete: <c>device_del</c> asks, <c>DEVICE_DELETED</c> says it let go.
/// </summary>
public sealed partial class QemuProcess : IVmHotplug
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _deleted = new(StringComparer.Ordinal);

    /// <summary>The block node of an added disk (also its <c>-blockdev</c> on a later command line).</summary>
    public static string BlockNode(string id) => "blk-" + id;

    /// <summary>The netdev of an added NIC (also its <c>-netdev</c> on a later command line).</summary>
    public static string NetDev(string id) => "net-" + id;

    public async Task AddDiskAsync(string id, string path, CancellationToken cancellationToken)
    {
        var slot = DeviceSlots.Disk(id);
        var fdset = int.Parse(slot.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            await _qmp.ExecuteAsync("add-fd", new JsonObject { ["fdset-id"] = fdset, ["opaque"] = id }, file.SafeFileHandle, cancellationToken);
        }

        var added = false;
        try
        {
            await _qmp.ExecuteAsync("blockdev-add", new JsonObject
            {
                ["driver"] = "raw",
                ["node-name"] = BlockNode(id),
                ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = $"/dev/fdset/{fdset}" },
            }, cancellationToken);
            added = true;
            await _qmp.ExecuteAsync("device_add", new JsonObject
            {
                ["driver"] = "virtio-blk-pci",
                ["id"] = id,
                ["drive"] = BlockNode(id),
                ["serial"] = id,
                ["addr"] = slot,
            }, cancellationToken);
        }
        catch
        {
            if (added)
            {
                await TryAsync("blockdev-del", new JsonObject { ["node-name"] = BlockNode(id) });
            }

            await TryAsync("remove-fd", new JsonObject { ["fdset-id"] = fdset });
            throw;
        }
    }

    public async Task AddNicAsync(string id, string tap, string mac, CancellationToken cancellationToken)
    {
        var slot = DeviceSlots.Nic(id);
        using (var fd = HostTap.Open(tap))
        {
            await _qmp.ExecuteAsync("getfd", new JsonObject { ["fdname"] = NetDev(id) }, fd, cancellationToken);
        }

        var added = false;
        try
        {
            await _qmp.ExecuteAsync("netdev_add", new JsonObject { ["type"] = "tap", ["id"] = NetDev(id), ["fd"] = NetDev(id) }, cancellationToken);
            added = true;
            await _qmp.ExecuteAsync("device_add", new JsonObject
            {
                ["driver"] = "virtio-net-pci",
                ["id"] = id,
                ["netdev"] = NetDev(id),
                ["mac"] = mac,
                ["addr"] = slot,
                ["romfile"] = "", // no option ROM: the chrooted QEMU could not read one, and no guest here boots from the network
            }, cancellationToken);
        }
        catch
        {
            await TryAsync(added ? "netdev_del" : "closefd", added ? new JsonObject { ["id"] = NetDev(id) } : new JsonObject { ["fdname"] = NetDev(id) });
            throw;
        }
    }

    public async Task RemoveDeviceAsync(string id, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var deleted = _deleted.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            try
            {
                await _qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, cancellationToken);
            }
            catch (QmpException ex) when (ex.Message.Contains("not found", StringComparison.OrdinalIgnoreCase))
            {
                deleted.TrySetResult(); // gone already (an earlier removal timed out and the guest finished it since)
            }

            try
            {
                await deleted.Task.WaitAsync(deadline, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException(
                    $"the guest did not release device {id} within {deadline.TotalSeconds:0} s (its kernel needs ACPI PCI hotplug; a busy guest may finish later: try again)");
            }
        }
        finally
        {
            _deleted.TryRemove(id, out _);
        }

        // The backends outlive the device: drop them (a disk from a boot's command line has no fd set; that refusal is fine).
        if (id.StartsWith(Formation.Vms.VmDevices.DiskPrefix, StringComparison.Ordinal))
        {
            await _qmp.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = BlockNode(id) }, cancellationToken);
            await TryAsync("remove-fd", new JsonObject { ["fdset-id"] = int.Parse(DeviceSlots.Disk(id).AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) });
        }
        else
        {
            await _qmp.ExecuteAsync("netdev_del", new JsonObject { ["id"] = NetDev(id) }, cancellationToken);
        }
    }

    public Task SetBalloonAsync(long targetMiB, CancellationToken cancellationToken) =>
        _qmp.ExecuteAsync("balloon", new JsonObject { ["value"] = targetMiB << 20 }, cancellationToken);

    public async Task<long> QueryBalloonAsync(CancellationToken cancellationToken)
    {
        var info = await _qmp.ExecuteAsync("query-balloon", null, cancellationToken);
        return (info?["actual"]?.GetValue<long>() ?? 0) >> 20;
    }

    /// <summary>Called for every QMP event: completes the wait of a removal.</summary>
    private void OnHotplugEvent(QmpEvent evt)
    {
        if (evt.Name == "DEVICE_DELETED" && evt.Data?["device"]?.GetValue<string>() is { } device && _deleted.TryGetValue(device, out var waiter))
        {
            waiter.TrySetResult();
        }
    }
}

using System.Globalization;
using Formation.Vms;

namespace Formation.Silo.Hypervisors;

/// <summary>
/// The PCI slot of each added device, fixed by its id: a device keeps its slot whether it was hot-plugged or put on the
/// command line of a later boot, which a restore needs (a QEMU migration stream is loaded into the same devices at the same
/// addresses). Boot devices take the low slots QEMU hands out (2..6 on <c>-M pc</c>); added disks 0x10..0x17, NICs 0x18..0x1a.
/// </summary>
public static class DeviceSlots
{
    public const int FirstDiskSlot = 0x10;

    public const int FirstNicSlot = FirstDiskSlot + VmDevices.MaxDisks;

    public static string Disk(string id) => Slot(FirstDiskSlot, VmDevices.IndexOf(VmDevices.DiskPrefix, id), VmDevices.MaxDisks, id);

    public static string Nic(string id) => Slot(FirstNicSlot, VmDevices.IndexOf(VmDevices.NicPrefix, id), VmDevices.MaxNics, id);

    /// <summary>An added disk's file in the VM's directory.</summary>
    public static string DiskFile(VmDirectory directory, string id) => directory.File(id + ".img");

    private static string Slot(int first, int index, int max, string id) =>
        index is > 0 && index <= max ? "0x" + (first + index - 1).ToString("x2", CultureInfo.InvariantCulture)
            : throw new ArgumentException($"'{id}' is not the id of an added device", nameof(id));
}

using System.Globalization;
using Formation.Silo.Platform;

namespace Formation.Silo.Hypervisors;

/// <summary>
/// The jail every VM process (QEMU or formation-vmm) runs in: its own unprivileged uid (one per VM, recorded in the VM's
/// directory), a cgroup whose <c>cpu.max</c>, <c>memory.max</c> and <c>pids.max</c> follow the VM's size, and files other
/// local users cannot read (VM directory and socket directory 0700, disk 0600 owned by the VM's uid). Each driver has its
/// VMM open what it needs as root and then become <see cref="Uid"/> before the guest's first instruction.
/// </summary>
public sealed class VmJail
{
    private static readonly Lock UidGate = new();

    private VmJail(long uid, HostCgroup cgroup)
    {
        Uid = uid;
        Cgroup = cgroup;
    }

    /// <summary>The VM's own host uid (and gid).</summary>
    public long Uid { get; }

    public HostCgroup Cgroup { get; }

    /// <summary>
    /// Prepares the jail of <paramref name="launch"/>: allocates (or reuses) the VM's uid, secures its files and
    /// creates its cgroup. <paramref name="overheadMiB"/> is what the VMM itself needs beyond guest RAM.
    /// </summary>
    public static VmJail Prepare(VmLaunch launch, VmDirectory directory, VmJailOptions options, long overheadMiB)
    {
        var uid = AllocateUid(directory, options);
        Secure(directory, uid);
        var cgroup = HostCgroup.Create(options.CgroupParent, launch.VmId,
            new CgroupLimits(options.PidsMax, (launch.MemoryMiB + overheadMiB) << 20, launch.VCpus + options.CpuOverhead));
        return new VmJail(uid, cgroup);
    }

    /// <summary>Removes the VM's cgroup once its process has ended.</summary>
    public static void Release(string vmId, VmJailOptions options) => HostCgroup.Remove(options.CgroupParent, vmId);

    /// <summary>The uid recorded for the VM (its processes run as it), or null when it has none.</summary>
    public static long? RecordedUid(VmDirectory directory)
    {
        var file = directory.File("uid");
        return File.Exists(file) && long.TryParse(File.ReadAllText(file), CultureInfo.InvariantCulture, out var recorded) ? recorded : null;
    }

    /// <summary>The uid recorded for the VM, or the lowest one no other VM directory on this node holds.</summary>
    public static long AllocateUid(VmDirectory directory, VmJailOptions options)
    {
        lock (UidGate)
        {
            var file = directory.File("uid");
            if (RecordedUid(directory) is { } recorded)
            {
                return recorded;
            }

            var vms = Path.GetDirectoryName(directory.Path)!;
            var taken = Directory.EnumerateDirectories(vms)
                .Select(d => Path.Combine(d, "uid"))
                .Where(File.Exists)
                .Select(f => long.TryParse(File.ReadAllText(f), CultureInfo.InvariantCulture, out var u) ? u : -1)
                .ToHashSet();
            for (var uid = options.UidBase; uid < options.UidBase + options.UidCount; uid++)
            {
                if (!taken.Contains(uid))
                {
                    File.WriteAllText(file, uid.ToString(CultureInfo.InvariantCulture));
                    return uid;
                }
            }

            throw new InvalidOperationException(
                $"all {options.UidCount} VM uids from {options.UidBase} are in use on this node; raise Jail:UidCount");
        }
    }

    /// <summary>VM directory, its parent and its socket directory 0700 (root); the disk 0600, owned by the VM's uid.</summary>
    public static void Secure(VmDirectory directory, long uid)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (var path in new[] { Path.GetDirectoryName(directory.Path)!, directory.Path, directory.RunPath })
        {
            Directory.CreateDirectory(path);
            File.SetUnixFileMode(path, OwnerOnly);
        }

        // The root disk and the disks added while it ran (disk1.img, ...; see DeviceSlots.DiskFile).
        foreach (var disk in Directory.EnumerateFiles(directory.Path, "disk*.img"))
        {
            HostOwnership.Chown(disk, uid, uid);
            File.SetUnixFileMode(disk, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        if (!File.Exists(directory.ConsoleLog))
        {
            File.Create(directory.ConsoleLog).Dispose(); // created here so it never exists with the umask's mode
        }

        File.SetUnixFileMode(directory.ConsoleLog, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}

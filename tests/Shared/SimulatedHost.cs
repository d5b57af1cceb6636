namespace Formation.Testing;

/// <summary>
/// What a host simulated on this machine (a network namespace with its own silo) must have to itself, as a real host
/// has: its own run directory (<c>FORMATION_RUN_DIR</c>: VM sockets, host locks) and its own cgroup parent for its VMs.
/// One machine shares /run and the cgroup tree between its simulated hosts, and a VM migrating live runs on two of them
/// at once under one VM id. The lab that makes the host removes both when it goes (<see cref="RemoveAsync"/>); a silo
/// restarted on the host keeps them (its VMs are adopted from there).
/// </summary>
public static class SimulatedHost
{
    public static Dictionary<string, string> Environment(string host) => new()
    {
        ["FORMATION_RUN_DIR"] = RunDirectory(host),
        ["Formation__Qemu__Jail__CgroupParent"] = CgroupParent(host),
        ["Formation__Kvm__Jail__CgroupParent"] = CgroupParent(host),
    };

    public static string RunDirectory(string host) => $"/run/formation-{host}";

    public static string CgroupParent(string host) => $"formation-vms-{host}";

    /// <summary>The host's run directory, and its VMs' cgroups left by killed silos with their parent (the kernel empties a cgroup a moment after its last process).</summary>
    public static async Task RemoveAsync(string host)
    {
        if (Directory.Exists(RunDirectory(host)))
        {
            Directory.Delete(RunDirectory(host), recursive: true);
        }

        var roots = new[] { "/sys/fs/cgroup" }.Concat(Directory.Exists("/sys/fs/cgroup/memory") ? Directory.EnumerateDirectories("/sys/fs/cgroup") : []);
        foreach (var directory in roots.Select(root => Path.Combine(root, CgroupParent(host))))
        {
            for (var attempt = 0; attempt < 50 && Directory.Exists(directory); attempt++)
            {
                try
                {
                    foreach (var child in Directory.EnumerateDirectories(directory))
                    {
                        Directory.Delete(child);
                    }

                    Directory.Delete(directory);
                }
                catch (IOException)
                {
                    await Task.Delay(100);
                }
            }
        }
    }
}

using Formation.LocalApi;

namespace Formation.Silo.Hypervisors;

/// <summary>
/// A VM's working directory on its node (<c>&lt;data&gt;/vms/&lt;vm-id&gt;</c>): its launch record, its own copies of
/// the boot artifacts and disk, the console log, and the hypervisor's pid file. A restarted silo finds running VMs
/// here. The VM's Unix sockets live in <see cref="RunPath"/> instead (<c>/run/formation/&lt;vm-id&gt;</c>): a socket
/// path may not be longer than 107 bytes, and data directories can be deep.
/// </summary>
public sealed record VmDirectory(string Path)
{
    /// <summary>The VM's socket folder, under <see cref="LocalApiPaths.RunRoot"/> (created by <see cref="EnsureRunPath"/>).</summary>
    public string RunPath => System.IO.Path.Combine(LocalApiPaths.RunRoot, VmId);

    public void EnsureRunPath()
    {
        LocalApiPaths.EnsurePrivate();
        LocalApiPaths.EnsurePrivate(RunPath);
    }

    public static VmDirectory For(string dataDirectory, string vmId) => new(System.IO.Path.Combine(dataDirectory, "vms", vmId));

    public string VmId => System.IO.Path.GetFileName(Path);

    public string LaunchRecord => File("launch.json");

    public string Kernel => File("kernel");

    public string Initrd => File("initrd");

    public string Disk => File("disk.img");

    public string ConsoleLog => File("console.log");

    public string ConsoleSocket => System.IO.Path.Combine(RunPath, "console.sock");

    public string ControlSocket => System.IO.Path.Combine(RunPath, "control.sock");

    /// <summary>qemu: the virtserialport chardev of the guest agent (qemu listens, the silo connects).</summary>
    public string AgentSocket => System.IO.Path.Combine(RunPath, "agent.sock");

    /// <summary>formation-vmm: the host side of the guest's virtio-vsock device (Firecracker-style hybrid vsock).</summary>
    public string VsockSocket => System.IO.Path.Combine(RunPath, "vsock.sock");

    /// <summary>
    /// formation-vmm's working directory, owned by the VM's uid: the one place the jailed VMM can write a snapshot (it reaches
    /// it through <c>/proc/self/cwd</c>, which does not check root's 0700 folders above it; see <c>KvmProcess.SnapshotAsync</c>).
    /// </summary>
    public string SnapshotStaging => File("staging");

    public string PidFile => File("vm.pid");

    public string HypervisorLog => File("hypervisor.log");

    public string File(string name) => System.IO.Path.Combine(Path, name);
}

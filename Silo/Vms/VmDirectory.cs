namespace Formation.Silo.Vms;

/// <summary>
/// A VM's working directory on its node (<c>&lt;data&gt;/vms/&lt;vm-id&gt;</c>): its launch record, its own copies of
/// the boot artifacts and disk, the console log and sockets, and the hypervisor's pid file. A restarted silo finds
/// running VMs here.
/// </summary>
public sealed record VmDirectory(string Path)
{
    public static VmDirectory For(string dataDirectory, string vmId) => new(System.IO.Path.Combine(dataDirectory, "vms", vmId));

    public string VmId => System.IO.Path.GetFileName(Path);

    public string LaunchRecord => File("launch.json");

    public string Kernel => File("kernel");

    public string Initrd => File("initrd");

    public string Disk => File("disk.img");

    public string ConsoleLog => File("console.log");

    public string ConsoleSocket => File("console.sock");

    public string ControlSocket => File("control.sock");

    public string PidFile => File("vm.pid");

    public string HypervisorLog => File("hypervisor.log");

    public string File(string name) => System.IO.Path.Combine(Path, name);
}

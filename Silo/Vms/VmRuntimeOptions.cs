namespace Formation.Silo.Vms;

/// <summary>How the node runs VMs (section Formation:Vms).</summary>
public sealed class VmRuntimeOptions
{
    public const string Section = "Formation:Vms";

    /// <summary>How long a guest may take to print its readiness line before the VM is Failed.</summary>
    public TimeSpan BootTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a graceful stop may take before the VM is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The line a Formation guest prints when it is up.</summary>
    public string ReadyLine { get; set; } = Formation.Images.ImageManifest.ReadyLine;
}

namespace Formation.Vms;

/// <summary>A field of <see cref="VmSpec"/> as users see it: the CLI flag and the label of the dashboard's form.</summary>
public sealed record VmSpecField(string Flag, string Label)
{
    public static readonly VmSpecField Name = new("--name", "Name");
    public static readonly VmSpecField VCpus = new("--vcpus", "vCPUs");
    public static readonly VmSpecField Memory = new("--memory", "Memory");
    public static readonly VmSpecField Disk = new("--disk", "Disk");
    public static readonly VmSpecField Node = new("--node", "Node");
    public static readonly VmSpecField Image = new("--image", "Image");
    public static readonly VmSpecField Publish = new("--publish", "Published ports");
    public static readonly VmSpecField RequestId = new("--request-id", "Request id");
}

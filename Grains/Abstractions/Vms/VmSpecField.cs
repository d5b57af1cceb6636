namespace Formation.Vms;

/// <summary>
/// A field of <see cref="VmSpec"/> as users see it: the CLI flag, the label of the dashboard's form and the name an HTTP
/// API client sends (a JSON property, or the header that carries it).
/// </summary>
public sealed record VmSpecField(string Flag, string Label, string Api)
{
    public static readonly VmSpecField Name = new("--name", "Name", "name");
    public static readonly VmSpecField VCpus = new("--vcpus", "vCPUs", "vCpus");
    public static readonly VmSpecField Memory = new("--memory", "Memory", "memoryMiB");
    public static readonly VmSpecField Disk = new("--disk", "Disk", "diskGiB");
    public static readonly VmSpecField Node = new("--node", "Node", "node");
    public static readonly VmSpecField Image = new("--image", "Image", "image");
    public static readonly VmSpecField Publish = new("--publish", "Published ports", "publish");
    public static readonly VmSpecField RequestId = new("--request-id", "Request id", "Idempotency-Key");
}

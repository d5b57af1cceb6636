namespace Formation.Formfiles;

/// <summary>An <c>EXPOSE</c>d port (recorded in the image; the network layer may publish it).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.ExposedPort")]
public sealed record ExposedPort(
    [property: Id(0)] int Port,
    [property: Id(1)] PortProtocol Protocol)
{
    public override string ToString() => $"{Port}/{(Protocol == PortProtocol.Tcp ? "tcp" : "udp")}";
}

namespace Formation.Formfiles;

/// <summary>Transport of an exposed port.</summary>
[GenerateSerializer, Alias("Formation.Formfiles.PortProtocol")]
public enum PortProtocol
{
    Tcp = 0,
    Udp = 1,
}

namespace Formation.Silo.Tests.Storage;

public enum ProbeColor
{
    None,
    Red,
    Blue,
}

namespace Formation.Silo.Vms;

/// <summary>Where this node keeps its files.</summary>
public sealed record NodePaths(string DataDirectory)
{
    public string Vms => Path.Combine(DataDirectory, "vms");
}

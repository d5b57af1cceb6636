namespace Formation.Silo.Network;

/// <summary>Host networking (section Formation:Network): the node's bridge and subnet.</summary>
public sealed class NetworkOptions
{
    public const string Section = "Formation:Network";

    /// <summary>Bridge name; default <c>fbr</c> + 8 hex digits of the node id's hash (unique per node on a host).</summary>
    public string? Bridge { get; set; }

    /// <summary>This node's VM subnet (e.g. 10.77.4.0/24); default: assigned by the cluster, avoiding routes on this host.</summary>
    public string? Subnet { get; set; }

    /// <summary>Set to false to run VMs without network devices (hosts where the silo may not create bridges/TAPs).</summary>
    public bool Enabled { get; set; } = true;
}

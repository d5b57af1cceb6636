namespace Formation.Networking;

/// <summary>The cluster's address plan: one overlay range, a /24 of it per node, its last /24 for user devices.</summary>
public static class NetworkPlan
{
    /// <summary>Every VM, node and device address of the cluster lies in this range.</summary>
    public static readonly Ipv4Subnet Overlay = Ipv4Subnet.Parse("10.77.0.0/16");

    /// <summary>User devices (form net join) get their addresses here; no node is given this subnet.</summary>
    public static readonly Ipv4Subnet Devices = Ipv4Subnet.Parse("10.77.255.0/24");

    public const int NodePrefix = 24;
}

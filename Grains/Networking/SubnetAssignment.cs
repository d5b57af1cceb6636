namespace Formation.Grains.Networking;

/// <summary>A node's subnet, as the network grain stores it.</summary>
public sealed record SubnetAssignment(string Subnet);

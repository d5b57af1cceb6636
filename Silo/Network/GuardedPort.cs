namespace Formation.Silo.Network;

/// <summary>A VM's port on the bridge: what it may send as, and the account whose guests it may reach.</summary>
public sealed record GuardedPort(VmNetwork Network, string Account);

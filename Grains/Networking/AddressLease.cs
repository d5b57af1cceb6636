namespace Formation.Grains.Networking;

/// <summary>One VM's address, as the address pool stores it.</summary>
public sealed record AddressLease(string Address, int Index);

namespace Formation.Silo.Hypervisors;

/// <summary>An added network interface as a launch needs it: its id (which fixes its PCI slot), TAP, MAC and address.</summary>
public sealed record LaunchNic(string Id, string Tap, string Mac, string Address);

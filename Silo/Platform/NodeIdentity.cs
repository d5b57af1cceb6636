namespace Formation.Silo.Platform;

/// <summary>This silo's node id, available to every host service.</summary>
public sealed record NodeIdentity(string NodeId);

namespace Formation.Silo.Images;

/// <summary>Where this node's image stream listens and who it is: its node id and the address the cluster knows it by, with <see cref="ImageStreamOptions"/>.</summary>
public sealed record ImageStreamSettings(string NodeId, string AdvertisedHost, int Port, bool Enabled);

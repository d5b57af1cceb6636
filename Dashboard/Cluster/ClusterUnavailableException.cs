namespace Formation.Dashboard.Cluster;

/// <summary>The dashboard has no connection to the cluster at the moment (the banner says so too).</summary>
public sealed class ClusterUnavailableException(string message) : Exception(message);

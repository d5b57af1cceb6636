namespace Formation.Cli.Connection;

/// <summary>Silos answered at first but the command could not be completed before the front door's patience ran out.</summary>
public sealed class ClusterUnavailableException(string message) : Exception(message);

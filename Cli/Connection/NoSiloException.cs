namespace Formation.Cli.Connection;

/// <summary>No silo answered within the connection timeout.</summary>
public sealed class NoSiloException(string message) : Exception(message);

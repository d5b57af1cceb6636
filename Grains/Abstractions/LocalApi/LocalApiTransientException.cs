namespace Formation.LocalApi;

/// <summary>The silo answered, but a grain it called was on a silo that went away: the request may be retried.</summary>
public sealed class LocalApiTransientException(string message) : Exception(message);

namespace Formation.Identity;

/// <summary>A credential or certificate file that is missing, unreadable or not what it should be; the message says which and why.</summary>
public sealed class CredentialException(string message) : Exception(message);

namespace Formation.Silo.Storage;

/// <summary>A schema script could not be applied; the message names the script and what the database said.</summary>
public sealed class SchemaMigrationException : Exception
{
    public SchemaMigrationException(string message)
        : base(message)
    {
    }

    public SchemaMigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

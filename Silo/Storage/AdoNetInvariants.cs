namespace Formation.Silo.Storage;

/// <summary>The ADO.NET invariant names the Orleans providers expect for each database.</summary>
internal static class AdoNetInvariants
{
    /// <summary>Npgsql.</summary>
    public const string PostgreSql = "Npgsql";

    /// <summary>Orleans maps this historical name to Microsoft.Data.Sqlite.</summary>
    public const string Sqlite = "System.Data.SQLite";

    public static string For(DatabaseKind kind) => kind switch
    {
        DatabaseKind.PostgreSql => PostgreSql,
        DatabaseKind.Sqlite => Sqlite,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown database kind."),
    };
}

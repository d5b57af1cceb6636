using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Formation.Silo.Storage;

/// <summary>ADO.NET plumbing shared by the stores that keep the project's own tables in SQLite or PostgreSQL.</summary>
internal static class SqlConnections
{
    /// <summary>An open connection to the database of <paramref name="kind"/>.</summary>
    public static async Task<DbConnection> OpenAsync(DatabaseKind kind, string connectionString, CancellationToken cancellationToken)
    {
        DbConnection connection = kind == DatabaseKind.Sqlite ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Adds a named parameter to <paramref name="command"/> and returns it (its value may be set again per row).</summary>
    public static DbParameter AddParameter(this DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}

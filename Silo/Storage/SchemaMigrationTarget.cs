namespace Formation.Silo.Storage;

/// <summary>A database whose schema the silo brings up to date when it starts.</summary>
internal sealed record SchemaMigrationTarget(DatabaseKind Kind, string ConnectionString);

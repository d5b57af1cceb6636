using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Formation.Silo.Storage;

/// <summary>
/// One-call registrations of the Orleans ADO.NET providers on Formation's schema. Each silo-side
/// call also makes the silo apply the schema scripts of its database when it starts
/// (see <see cref="AddFormationSchemaMigration"/>).
/// </summary>
public static class FormationStorageExtensions
{
    /// <summary>Grain storage <paramref name="name"/> on <paramref name="kind"/>, state stored as System.Text.Json.</summary>
    /// <param name="configure">Optional further settings, e.g. <c>DeleteStateOnClear = true</c> to delete rows on clear.</param>
    public static ISiloBuilder AddFormationAdoNetStorage(
        this ISiloBuilder builder,
        string name,
        DatabaseKind kind,
        string connectionString,
        Action<AdoNetGrainStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.AddFormationSchemaMigration(kind, connectionString);
        return builder.AddAdoNetGrainStorage(name, (AdoNetGrainStorageOptions options) =>
        {
            options.Invariant = AdoNetInvariants.For(kind);
            options.ConnectionString = connectionString;
            options.GrainStorageSerializer = new FormationJsonGrainStorageSerializer();
            configure?.Invoke(options);
        });
    }

    /// <summary>Cluster membership in PostgreSQL (cluster mode): silos find each other through the membership table.</summary>
    public static ISiloBuilder UseFormationAdoNetClustering(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.AddFormationSchemaMigration(DatabaseKind.PostgreSql, connectionString);
        return builder.UseAdoNetClustering(options =>
        {
            options.Invariant = AdoNetInvariants.PostgreSql;
            options.ConnectionString = connectionString;
        });
    }

    /// <summary>A client finds the gateways of a PostgreSQL-clustered Formation in the membership table.</summary>
    public static IClientBuilder UseFormationAdoNetClustering(this IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseAdoNetClustering(options =>
        {
            options.Invariant = AdoNetInvariants.PostgreSql;
            options.ConnectionString = connectionString;
        });
    }

    /// <summary>Reminders kept in <paramref name="kind"/>.</summary>
    public static ISiloBuilder UseFormationAdoNetReminders(this ISiloBuilder builder, DatabaseKind kind, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.AddFormationSchemaMigration(kind, connectionString);
        return builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = AdoNetInvariants.For(kind);
            options.ConnectionString = connectionString;
        });
    }

    /// <summary>Row-per-entry state for Formation's map-like grains (scheduler, catalog) in <paramref name="kind"/>.</summary>
    public static ISiloBuilder AddFormationStateRows(this ISiloBuilder builder, DatabaseKind kind, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.AddFormationSchemaMigration(kind, connectionString);
        builder.Services.AddSingleton<Formation.Grains.Common.IStateRowStore>(sp =>
            new StateRows.SqlStateRowStore(kind, connectionString, sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
        return builder;
    }

    /// <summary>
    /// Makes the silo apply Formation's schema scripts to the database at its first lifecycle stage
    /// (once per distinct database, however often this is called). A failure stops the silo with a
    /// <see cref="SchemaMigrationException"/>.
    /// </summary>
    public static ISiloBuilder AddFormationSchemaMigration(this ISiloBuilder builder, DatabaseKind kind, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddSingleton(new SchemaMigrationTarget(kind, connectionString));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, SchemaMigrationParticipant>());
        return builder;
    }
}

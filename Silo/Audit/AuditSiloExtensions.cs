using Formation.Grains.Hosting;
using Formation.Silo.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Formation.Silo.Audit;

/// <summary>The audit trail on a silo: the table in the cluster's database, the batching writer, and the call filter.</summary>
public static class AuditSiloExtensions
{
    /// <summary>
    /// Records mutating user requests in <paramref name="kind"/> at <paramref name="connectionString"/> (the database of the
    /// cluster's grain state). Register it after the identity filter: filters run in the order they were added.
    /// </summary>
    public static ISiloBuilder AddFormationAudit(this ISiloBuilder silo, DatabaseKind kind, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        silo.AddFormationSchemaMigration(kind, connectionString);
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section);
        services.AddSingleton(sp => new SqlAuditTrail(kind, connectionString, sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
        services.AddSingleton<IAuditTrail>(sp => sp.GetRequiredService<SqlAuditTrail>());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AuditWriter>(sp, sp.GetRequiredService<IOptions<AuditOptions>>().Value));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<AuditWriter>());
        silo.AddIncomingGrainCallFilter<AuditCallFilter>();
        return silo;
    }
}

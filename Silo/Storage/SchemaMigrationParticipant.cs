namespace Formation.Silo.Storage;

/// <summary>
/// Applies the schema of every registered <see cref="SchemaMigrationTarget"/> at the very first
/// silo lifecycle stage, before clustering, grain storage and reminders read their queries.
/// </summary>
internal sealed class SchemaMigrationParticipant(
    IEnumerable<SchemaMigrationTarget> targets,
    ILogger<SchemaMigrationParticipant> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SchemaMigrationParticipant), ServiceLifecycleStage.First, ApplyAsync);

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        foreach (var target in targets.Distinct())
        {
            await SchemaMigrator.ApplyAsync(target.Kind, target.ConnectionString, logger, cancellationToken);
        }
    }
}

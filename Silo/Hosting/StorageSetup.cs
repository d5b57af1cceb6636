namespace Formation.Silo.Hosting;

/// <summary>Where grain state, membership and reminders live, by mode.</summary>
public static class StorageSetup
{
    // TEMPORARY until the ADO.NET schema lands (branch sql): in-memory storage.
    public static Task PrepareAsync(SiloConfig config, ILoggerFactory loggers, CancellationToken cancellationToken) => Task.CompletedTask;

    public static void AddClustering(ISiloBuilder silo, SiloConfig config) =>
        throw new NotSupportedException("cluster mode needs the ADO.NET schema (not merged yet)");

    public static void AddGrainStorage(ISiloBuilder silo, SiloConfig config, string name) => silo.AddMemoryGrainStorage(name);

    public static void AddReminders(ISiloBuilder silo, SiloConfig config) => silo.UseInMemoryReminderService();
}

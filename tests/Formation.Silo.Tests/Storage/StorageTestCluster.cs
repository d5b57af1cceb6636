using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Formation.Silo.Tests.Storage;

/// <summary>An in-process Orleans cluster whose grain storage and reminders live in the database under test.</summary>
public static class StorageTestCluster
{
    public const string StorageName = "probe-store";

    /// <summary>A second storage on the same database that deletes the row on clear.</summary>
    public const string DeletingStorageName = "probe-store-deleting";

    public static async Task<InProcessTestCluster> StartAsync(TestDatabase database, string serviceId, short silos = 1)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddFormationAdoNetStorage(StorageName, database.Kind, database.ConnectionString);
            silo.AddFormationAdoNetStorage(DeletingStorageName, database.Kind, database.ConnectionString, o => o.DeleteStateOnClear = true);
            silo.UseFormationAdoNetReminders(database.Kind, database.ConnectionString);
            silo.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }
}

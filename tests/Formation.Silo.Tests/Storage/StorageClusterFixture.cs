using Formation.Silo.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Formation.Silo.Tests.Storage;

/// <summary>One database and one single-silo cluster on it, shared by the tests of a class.</summary>
public abstract class StorageClusterFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;
    private TestDatabase? _database;

    public string ServiceId { get; } = "storage-" + Guid.NewGuid().ToString("N")[..8];

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The fixture's database was not created.");

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The fixture's cluster did not start.");

    public IClusterClient Client => Cluster.Client;

    /// <summary>Fails the calling test, saying why, when this fixture's database cannot exist on this machine.</summary>
    public abstract void RequireAvailable();

    /// <summary>A new, empty database of the kind under test.</summary>
    public abstract Task<TestDatabase> CreateDatabaseAsync(string label);

    public async ValueTask InitializeAsync()
    {
        if (!IsAvailable)
        {
            return;
        }

        _database = await CreateDatabaseAsync(GetType().Name);
        _cluster = await StorageTestCluster.StartAsync(_database, ServiceId);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        DisposeDatabases();
        GC.SuppressFinalize(this);
    }

    protected abstract bool IsAvailable { get; }

    protected virtual void DisposeDatabases()
    {
    }
}

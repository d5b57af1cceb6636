namespace Formation.Silo.Hosting;

/// <summary>One silo per data directory: an exclusive lock on <c>silo.lock</c> held while the silo runs.</summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly LockFile _lock;

    private DataDirectoryLock(LockFile lockFile) => _lock = lockFile;

    public static DataDirectoryLock? TryAcquire(string dataDirectory, out string? error)
    {
        if (LockFile.TryTake(Path.Combine(dataDirectory, "silo.lock"), out var owner) is { } taken)
        {
            error = null;
            return new DataDirectoryLock(taken);
        }

        error = $"another formation-silo{LockFile.Describe(owner)} is using the data directory {dataDirectory}. " +
            "Stop it, or give this one its own --data-dir.";
        return null;
    }

    public void Dispose() => _lock.Dispose();
}

namespace Formation.Silo.Pack;

/// <summary>An exclusive lock on a file, across processes (flock via FileShare.None), awaited with backoff.</summary>
internal sealed class PackLock : IAsyncDisposable
{
    private readonly FileStream _stream;

    private PackLock(FileStream stream) => _stream = stream;

    public static async Task<PackLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        var delay = 50;
        while (true)
        {
            try
            {
                return new PackLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(delay, cancellationToken);
                delay = Math.Min(delay * 2, 1000);
            }
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

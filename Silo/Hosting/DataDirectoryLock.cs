namespace Formation.Silo.Hosting;

/// <summary>One silo per data directory: an exclusive lock on <c>silo.lock</c> held while the silo runs.</summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream) => _stream = stream;

    public static DataDirectoryLock? TryAcquire(string dataDirectory, out string? error)
    {
        var path = Path.Combine(dataDirectory, "silo.lock");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString());
            stream.Write(pid);
            stream.Flush();
            error = null;
            return new DataDirectoryLock(stream);
        }
        catch (IOException)
        {
            var owner = TryRead(path);
            error = $"another formation-silo{(owner is null ? "" : $" (pid {owner})")} is using the data directory {dataDirectory}. " +
                "Stop it, or give this one its own --data-dir.";
            return null;
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var r = new StreamReader(s);
            var text = r.ReadToEnd().Trim();
            return text.Length == 0 ? null : text;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}

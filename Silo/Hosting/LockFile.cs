using System.Globalization;

namespace Formation.Silo.Hosting;

/// <summary>
/// An exclusive lock on a file (a <c>flock</c> that .NET takes for <see cref="FileShare.None"/>), released by the kernel
/// when the process dies. The holder's pid goes into a sidecar file (<c>PATH.pid</c>): on Linux .NET takes a shared
/// lock for every other open, so the locked file itself cannot be read by the process that wants to name its holder.
/// </summary>
public sealed class LockFile : IDisposable
{
    private readonly FileStream _stream;

    private LockFile(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>Takes the lock, or answers null and the holder's pid when it can be read.</summary>
    public static LockFile? TryTake(string path, out string? owner)
    {
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(path + ".pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            owner = null;
            return new LockFile(path, stream);
        }
        catch (IOException) when (File.Exists(path))
        {
            owner = ReadOwner(path);
            return null;
        }
    }

    /// <summary>" (pid N)" for messages, or empty when the holder is unknown.</summary>
    public static string Describe(string? owner) => owner is null ? "" : $" (pid {owner})";

    public void Dispose()
    {
        // The pid file goes first; the lock file stays (removing a locked file lets a newcomer lock a fresh inode while
        // someone still waits on the old one) and is released when the stream closes.
        try
        {
            File.Delete(Path + ".pid");
        }
        catch (IOException)
        {
        }

        _stream.Dispose();
    }

    private static string? ReadOwner(string path)
    {
        try
        {
            var text = File.ReadAllText(path + ".pid").Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

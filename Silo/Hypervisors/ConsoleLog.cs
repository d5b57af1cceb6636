using System.Text;

namespace Formation.Silo.Hypervisors;

/// <summary>A VM's serial console log file: reading ranges and tails, and waiting for a line to appear.</summary>
public static class ConsoleLog
{
    public static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Up to <paramref name="max"/> bytes from <paramref name="offset"/>.</summary>
    public static async Task<byte[]> ReadAsync(string path, long offset, int max, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (offset >= stream.Length)
        {
            return [];
        }

        stream.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[(int)Math.Min(max, stream.Length - offset)];
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        return read == buffer.Length ? buffer : buffer[..read];
    }

    /// <summary>The last <paramref name="lines"/> lines (at most 64 KiB looked at), for error messages.</summary>
    public static string Tail(string path, int lines = 15)
    {
        try
        {
            var length = Length(path);
            var bytes = ReadAsync(path, Math.Max(0, length - 65536), 65536, CancellationToken.None).GetAwaiter().GetResult();
            var text = Encoding.UTF8.GetString(bytes).Replace("\r", "");
            return string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// Waits until a line containing <paramref name="marker"/> is written after <paramref name="offset"/>. Returns false
    /// when <paramref name="giveUp"/> completes first; throws <see cref="TimeoutException"/> at the deadline.
    /// </summary>
    public static async Task<bool> WaitForAsync(string path, long offset, string marker, TimeSpan timeout, Task giveUp, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var pattern = Encoding.ASCII.GetBytes(marker);
        var carry = Array.Empty<byte>();
        while (true)
        {
            var chunk = await ReadAsync(path, offset, 1 << 20, cancellationToken);
            if (chunk.Length > 0)
            {
                offset += chunk.Length;
                var window = carry.Length == 0 ? chunk : [.. carry, .. chunk];
                if (window.AsSpan().IndexOf(pattern) >= 0)
                {
                    return true;
                }

                carry = window[Math.Max(0, window.Length - pattern.Length)..];
                continue;
            }

            if (giveUp.IsCompleted)
            {
                return false;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException();
            }

            await Task.WhenAny(giveUp, Task.Delay(20, cancellationToken));
        }
    }
}

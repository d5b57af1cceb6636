using System.Text;
using Formation.Vms;
using Formation.Vmm.Protocol;

namespace Formation.Silo.Hypervisors;

/// <summary>
/// A VM's serial console log file: reading ranges and tails, and waiting for a line to appear. The log is capped
/// (<see cref="ConsoleLogFile"/>): its oldest output may have been dropped, so offsets run from 0 to <see cref="Length"/>
/// (every byte ever written) but only those from the first kept byte on can be read.
/// </summary>
public static class ConsoleLog
{
    /// <summary>The end of the log: how many bytes were ever written to it, kept or dropped.</summary>
    public static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>
    /// Up to <paramref name="max"/> bytes from <paramref name="offset"/>; when that output was dropped, from the first byte
    /// still kept — the chunk's <see cref="ConsoleChunk.Offset"/> then lies past <paramref name="offset"/>.
    /// </summary>
    public static async Task<ConsoleChunk> ReadAsync(string path, long offset, int max, CancellationToken cancellationToken)
    {
        offset = Math.Max(0, offset);
        if (!File.Exists(path))
        {
            return new ConsoleChunk(offset, [], offset);
        }

        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        for (var attempt = 0; ; attempt++)
        {
            offset = Math.Max(offset, ConsoleLogFile.DataStart(file));
            var length = RandomAccess.GetLength(file);
            if (offset >= length)
            {
                return new ConsoleChunk(offset, [], offset);
            }

            var buffer = new byte[(int)Math.Min(max, length - offset)];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(read), offset + read, cancellationToken);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            // Old output may have been dropped while this read ran: what it got from there is zeros, not output. When all
            // of it was dropped (a flooding guest, a trim in between), read again from the new start rather than answer
            // an empty chunk that looks like the end of the log.
            var start = ConsoleLogFile.DataStart(file);
            var skip = (int)Math.Clamp(start - offset, 0, read);
            if (skip == read && read > 0 && attempt < 3)
            {
                offset = start;
                continue;
            }

            var data = skip == 0 && read == buffer.Length ? buffer : buffer[skip..read];
            return new ConsoleChunk(offset + skip, data, offset + skip + data.Length);
        }
    }

    /// <summary>The last <paramref name="lines"/> lines (at most 64 KiB looked at), for error messages.</summary>
    public static string Tail(string path, int lines = 15)
    {
        try
        {
            var length = Length(path);
            var bytes = ReadAsync(path, Math.Max(0, length - 65536), 65536, CancellationToken.None).GetAwaiter().GetResult().Data;
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
            var read = await ReadAsync(path, offset, 1 << 20, cancellationToken);
            var chunk = read.Data;
            if (chunk.Length > 0)
            {
                if (read.Offset != offset)
                {
                    carry = []; // output between was dropped: the marker cannot span the gap
                }

                offset = read.Next;
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

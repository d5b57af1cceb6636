namespace Formation.Kvm.Native.Memory;

/// <summary>
/// Guest RAM as a file: the regions one after another, each page at its offset. All-zero pages are not written, so
/// they stay holes (a sparse file whose allocated size follows the memory the guest touched). Read back with
/// <see cref="GuestMemory.MapFile"/>.
/// </summary>
public static class GuestMemoryFile
{
    public const int PageSize = 4096;

    /// <summary>Writes <paramref name="memory"/> to a new file at <paramref name="path"/>; the guest must not run meanwhile.</summary>
    /// <returns>The file's length and how many bytes of it hold data (the rest are holes).</returns>
    public static (long Length, long DataBytes) Write(GuestMemory memory, string path)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var file = stream.SafeFileHandle;
        var total = (long)memory.TotalSize;
        RandomAccess.SetLength(file, total);
        long offset = 0, data = 0;
        foreach (var region in memory.Regions)
        {
            // Runs of non-zero pages go out in one write each; a zero page ends a run and is skipped.
            long runStart = -1;
            for (ulong page = 0; page < region.Size; page += PageSize)
            {
                var length = (int)Math.Min(PageSize, region.Size - page);
                memory.TryGetSpan(region.Start + page, length, out var bytes);
                var zero = bytes.IndexOfAnyExcept((byte)0) < 0;
                if (!zero && runStart < 0)
                {
                    runStart = (long)page;
                }
                else if (zero && runStart >= 0)
                {
                    data += WriteRun(file, memory, region, runStart, (long)page, offset);
                    runStart = -1;
                }
            }

            if (runStart >= 0)
            {
                data += WriteRun(file, memory, region, runStart, (long)region.Size, offset);
            }

            offset += (long)region.Size;
        }

        stream.Flush(flushToDisk: true);
        return (total, data);
    }

    private static long WriteRun(Microsoft.Win32.SafeHandles.SafeFileHandle file, GuestMemory memory, GuestRegion region, long from, long to,
        long regionOffset)
    {
        const int chunk = 1 << 30;
        for (var at = from; at < to; at += chunk)
        {
            var length = (int)Math.Min(chunk, to - at);
            memory.TryGetSpan(region.Start + (ulong)at, length, out var bytes);
            RandomAccess.Write(file, bytes, regionOffset + at);
        }

        return to - from;
    }
}

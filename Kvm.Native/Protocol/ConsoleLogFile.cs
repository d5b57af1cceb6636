using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Formation.Vmm.Protocol;

/// <summary>
/// A VM's console log on disk, as both ends use it: formation-vmm (or QEMU) appends, the silo reads and — for QEMU,
/// which cannot be told to — drops old output. Old output is dropped by punching a hole over it
/// (<c>fallocate(FALLOC_FL_PUNCH_HOLE)</c>): its blocks are freed, the file's length does not change, and every byte
/// still kept stays at its offset, so a writer appending (even QEMU with <c>O_APPEND</c>) and a reader holding an offset
/// never notice. The first kept byte is where the file's data begins (<c>lseek(SEEK_DATA)</c>). The file's length counts
/// every byte ever written; what it occupies on disk is bounded by the cap.
/// </summary>
public static class ConsoleLogFile
{
    private const int SeekData = 3;
    private const int FallocKeepSize = 0x01;
    private const int FallocPunchHole = 0x02;
    private const int Enxio = 6;

    /// <summary>The offset of the first byte still kept (the file's length when nothing is).</summary>
    public static long DataStart(SafeFileHandle file)
    {
        var start = lseek(file, 0, SeekData);
        if (start >= 0)
        {
            return start;
        }

        // ENXIO: no data at all (empty, or one hole). Anything else: no SEEK_DATA here, so nothing was ever dropped.
        return Marshal.GetLastPInvokeError() == Enxio ? RandomAccess.GetLength(file) : 0;
    }

    /// <summary>Frees the bytes in [<paramref name="from"/>, <paramref name="to"/>); false with the errno when the file system cannot.</summary>
    public static bool TryDrop(SafeFileHandle file, long from, long to, out int errno)
    {
        errno = 0;
        if (to <= from)
        {
            return true;
        }

        if (fallocate(file, FallocPunchHole | FallocKeepSize, from, to - from) == 0)
        {
            return true;
        }

        errno = Marshal.GetLastPInvokeError();
        return false;
    }

    /// <summary>
    /// Drops the oldest output when the log (of a writer that is not this process) has grown past <paramref name="cap"/>.
    /// Returns how many bytes were dropped (0 when within the cap); throws <see cref="IOException"/> naming the errno when the
    /// file system cannot drop (<c>EOPNOTSUPP</c>: it has no hole punching).
    /// </summary>
    public static long Trim(SafeFileHandle file, ConsoleLogCap cap)
    {
        var start = DataStart(file);
        var end = RandomAccess.GetLength(file);
        var from = cap.KeepFrom(start, Math.Max(start, end), 0);
        if (from == start)
        {
            return 0;
        }

        if (!TryDrop(file, start, from, out var errno))
        {
            throw new IOException($"cannot drop old console output (fallocate PUNCH_HOLE): errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }

        return from - start;
    }

#pragma warning disable SYSLIB1054 // plain arguments; DllImport needs no unsafe code in this contract assembly
    [DllImport("libc", SetLastError = true)]
    private static extern long lseek(SafeFileHandle fd, long offset, int whence);

    [DllImport("libc", SetLastError = true)]
    private static extern int fallocate(SafeFileHandle fd, int mode, long offset, long length);
#pragma warning restore SYSLIB1054
}

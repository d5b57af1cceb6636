using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Platform;

/// <summary>
/// Starts writing a file's dirty pages to disk without waiting (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>), so a
/// large file written at network speed is mostly on disk by the time it is fsynced, instead of all of it then.
/// A hint: a failure is ignored (the fsync that follows is what counts).
/// </summary>
public static class HostWriteback
{
    private const uint SyncFileRangeWrite = 2;

    public static void Start(SafeFileHandle handle, long offset, long length) =>
        _ = sync_file_range((int)handle.DangerousGetHandle(), offset, length, SyncFileRangeWrite);

#pragma warning disable SYSLIB1054 // plain arguments; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true)]
    private static extern int sync_file_range(int fd, long offset, long nbytes, uint flags);
#pragma warning restore SYSLIB1054
}

using System.Runtime.InteropServices;

namespace Formation.Silo.Platform;

/// <summary>Named pipes used to hold a child process at a point until the parent has prepared something for it.</summary>
public static class HostFifo
{
    private const int OWronly = 0x1;
    private const int ONonblock = 0x800;
    private const int OCloexec = 0x80000;

    public static void Create(string path)
    {
        if (mkfifo(path, 0b110_000_000) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mkfifo('{path}') failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }

    /// <summary>
    /// Writes one line (<paramref name="word"/>) into the pipe without blocking; false when nobody holds it open for reading (the waiting
    /// process is gone), so a dead child can never hang the parent.
    /// </summary>
    public static bool TrySignal(string path, string word = "")
    {
        var fd = open(path, OWronly | ONonblock | OCloexec);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            var line = System.Text.Encoding.ASCII.GetBytes(word + "\n");
            return write(fd, line, line.Length) == line.Length;
        }
        finally
        {
            _ = close(fd);
        }
    }

#pragma warning disable SYSLIB1054 // plain arguments; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int mkfifo(string path, uint mode);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054
}

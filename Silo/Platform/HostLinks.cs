using System.Runtime.InteropServices;

namespace Formation.Silo.Platform;

/// <summary>Hard links (images share their root filesystem file with the artifact cache; no copy).</summary>
public static class HostLinks
{
    public static void HardLink(string existing, string newPath)
    {
        if (link(existing, newPath) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"link('{existing}', '{newPath}') failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }

#pragma warning disable SYSLIB1054 // plain string arguments; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int link(string oldpath, string newpath);
#pragma warning restore SYSLIB1054
}

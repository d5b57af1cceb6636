using System.Globalization;
using System.Runtime.InteropServices;

namespace Formation.Silo.Platform;

/// <summary>
/// File ownership for sandboxes whose root is an unprivileged uid range on the host: change one path's owner without
/// following symlinks, and shift a whole tree into (or out of) such a range so that in-image owners survive.
/// </summary>
public static class HostOwnership
{
    /// <summary>Sets the owner of <paramref name="path"/> itself (a symlink is not followed).</summary>
    public static void Chown(string path, long uid, long gid)
    {
        if (lchown(path, checked((uint)uid), checked((uint)gid)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"lchown('{path}', {uid}, {gid}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }

    /// <summary>
    /// Adds <paramref name="offset"/> to the owner and group of every path in the tree under (and including)
    /// <paramref name="root"/>, never following symlinks; setuid/setgid bits, which the kernel clears on a change of
    /// owner, are put back. Owners are read with find(1) so names with any bytes survive.
    /// </summary>
    public static async Task ShiftTreeAsync(string root, long offset, CancellationToken cancellationToken)
    {
        var listing = new List<string>();
        var result = await ProcessRunner.RunAsync("find", [root, "-xdev", "-printf", "%U %G %m %y %p\\n"], listing.Add, 20,
            TimeSpan.FromMinutes(10), cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new IOException($"cannot list '{root}' to shift its owners: {string.Join(" | ", result.OutputTail)}");
        }

        foreach (var line in listing)
        {
            var parts = line.Split(' ', 5);
            if (parts.Length != 5)
            {
                throw new IOException($"unexpected find output while shifting owners under '{root}': '{line}'");
            }

            var path = parts[4];
            if (!path.StartsWith(root, StringComparison.Ordinal))
            {
                throw new IOException($"a name under '{root}' holds a line break; cannot shift its owners safely");
            }

            var uid = long.Parse(parts[0], CultureInfo.InvariantCulture) + offset;
            var gid = long.Parse(parts[1], CultureInfo.InvariantCulture) + offset;
            Chown(path, uid, gid);
            var mode = Convert.ToInt32(parts[2], 8);
            if (parts[3] != "l" && (mode & 0b110_000_000_000) != 0)
            {
                File.SetUnixFileMode(path, (UnixFileMode)mode);
            }
        }
    }

#pragma warning disable SYSLIB1054 // plain string arguments; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int lchown(string path, uint owner, uint group);
#pragma warning restore SYSLIB1054
}

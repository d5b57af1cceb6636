using System.Runtime.InteropServices;

namespace Formation.Images;

/// <summary>
/// The file type from lstat(2): .NET's file APIs do not tell FIFOs, sockets and devices from regular files. Build
/// contexts are checked with it on both sides: where the CLI packs them and where the silo unpacks them.
/// </summary>
public static class HostFileType
{
    private const int StatBufferSize = 256;
    private const uint TypeMask = 0xF000;

    public const uint Fifo = 0x1000;
    public const uint CharDevice = 0x2000;
    public const uint Directory = 0x4000;
    public const uint BlockDevice = 0x6000;
    public const uint Regular = 0x8000;
    public const uint Symlink = 0xA000;
    public const uint Socket = 0xC000;

    /// <summary>The S_IFMT bits of <paramref name="path"/> (not following a final symlink), or 0 if it cannot be read.</summary>
    public static uint Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.Exists(path) ? Regular : System.IO.Directory.Exists(path) ? Directory : 0;
        }

        var buffer = new byte[StatBufferSize];
        if (lstat(path, buffer) != 0)
        {
            return 0;
        }

        // struct stat: x86-64 has st_dev, st_ino, st_nlink (8 bytes each) before st_mode; arm64 has st_dev, st_ino, then st_mode.
        var offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        return BitConverter.ToUInt32(buffer, offset) & TypeMask;
    }

    /// <summary>What a file of type <paramref name="kind"/> is, for messages about files that are not regular.</summary>
    public static string Describe(uint kind) => kind switch
    {
        Fifo => "a FIFO",
        CharDevice => "a character device",
        BlockDevice => "a block device",
        Socket => "a socket",
        _ => "not a regular file",
    };

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
#pragma warning disable SYSLIB1054 // a byte[] buffer needs no unsafe code with DllImport
    private static extern int lstat(string path, byte[] buffer);
#pragma warning restore SYSLIB1054
}

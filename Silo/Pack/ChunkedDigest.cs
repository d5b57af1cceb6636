using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Pack;

/// <summary>
/// The digest of root filesystem files: <c>sha256-4m:&lt;hex&gt;</c> = SHA-256 over the concatenated SHA-256 digests of
/// the file's consecutive 4 MiB chunks (the last one shorter). It depends only on the bytes, yet a sparse disk
/// image is digested at the speed of its data: chunks that are holes (SEEK_DATA finds no data in them) take the
/// precomputed digest of zeros instead of hashing gigabytes of zeros.
/// </summary>
internal static class ChunkedDigest
{
    public const string Prefix = "sha256-4m:";
    public const int ChunkSize = 4 << 20;

    private const int SeekData = 3;
    internal static readonly byte[] ZeroChunkDigest = SHA256.HashData(new byte[ChunkSize]);

    public static async Task<string> ComputeAsync(string path, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var length = RandomAccess.GetLength(handle);
        var buffer = new byte[ChunkSize];
        using var tree = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long offset = 0; offset < length; offset += ChunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var size = (int)Math.Min(ChunkSize, length - offset);
            if (size == ChunkSize && IsHole(handle, offset, ChunkSize))
            {
                tree.AppendData(ZeroChunkDigest);
                continue;
            }

            var read = 0;
            while (read < size)
            {
                var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read, size - read), offset + read, cancellationToken);
                if (n == 0)
                {
                    throw new IOException($"'{path}' shrank while it was being digested");
                }

                read += n;
            }

            tree.AppendData(SHA256.HashData(buffer.AsSpan(0, size)));
        }

        return Prefix + Convert.ToHexStringLower(tree.GetHashAndReset());
    }

    /// <summary>True when [offset, offset+size) has no data extent (a hole reads as zeros).</summary>
    internal static bool IsHole(SafeFileHandle handle, long offset, int size)
    {
        var next = lseek((int)handle.DangerousGetHandle(), offset, SeekData);
        return next < 0 ? Marshal.GetLastPInvokeError() == 6 /* ENXIO: no data after offset */ : next >= offset + size;
    }

#pragma warning disable SYSLIB1054 // blittable arguments; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true)]
    private static extern long lseek(int fd, long offset, int whence);
#pragma warning restore SYSLIB1054
}

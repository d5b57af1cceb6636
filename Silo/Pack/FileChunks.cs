using Formation.Images;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Pack;

/// <summary>
/// Files sent between nodes in <see cref="ImageChunk"/>s (images and snapshots): reading a range, with holes sent as
/// holes; checking that an answer is the range that was asked for; writing it so that zeros stay holes.
/// </summary>
public static class FileChunks
{
    /// <summary>The range of <paramref name="handle"/> that starts at <paramref name="offset"/>; <paramref name="what"/> names the file in errors.</summary>
    public static async Task<ImageChunk> ReadAsync(SafeFileHandle handle, long offset, string what, CancellationToken cancellationToken)
    {
        var length = RandomAccess.GetLength(handle);
        if (offset < 0 || offset > length || (offset == length && length > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"offset {offset} is outside {what} ({length} bytes)");
        }

        var size = ImageChunk.RangeLength(offset, length);
        if (size > 0 && ChunkedDigest.IsHole(handle, offset, size))
        {
            return new ImageChunk(offset, length, true, []);
        }

        var data = new byte[size];
        var read = 0;
        while (read < size)
        {
            var n = await RandomAccess.ReadAsync(handle, data.AsMemory(read), offset + read, cancellationToken);
            if (n == 0)
            {
                throw new IOException($"{what} shrank while it was being read");
            }

            read += n;
        }

        return new ImageChunk(offset, length, false, data);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> unless <paramref name="chunk"/> is exactly the range at <paramref name="offset"/> of a <paramref name="fileLength"/>-byte file.</summary>
    public static void Check(ImageChunk chunk, long offset, long fileLength, string what)
    {
        var expected = ImageChunk.RangeLength(offset, fileLength);
        if (offset < 0 || (expected == 0 && fileLength > 0))
        {
            throw new InvalidDataException($"offset {offset} is outside {what} ({fileLength} bytes)");
        }

        if (chunk.Offset != offset || chunk.FileLength != fileLength || chunk.Data is null || chunk.Data.Length != (chunk.Hole ? 0 : expected))
        {
            throw new InvalidDataException(
                $"the source answered a request for {expected} bytes of {what} at {offset} with {chunk.Data?.Length ?? 0} bytes at " +
                $"{chunk.Offset}{(chunk.Hole ? " (a hole)" : "")} of a {chunk.FileLength}-byte file; {fileLength} bytes were expected");
        }
    }

    /// <summary>Writes a checked chunk into a file made at its full length: all-zero ranges are not written, so they stay holes.</summary>
    public static async Task WriteAsync(SafeFileHandle handle, ImageChunk chunk, CancellationToken cancellationToken)
    {
        if (!chunk.Hole && chunk.Data.AsSpan().ContainsAnyExcept((byte)0))
        {
            await RandomAccess.WriteAsync(handle, chunk.Data, chunk.Offset, cancellationToken);
        }
    }
}

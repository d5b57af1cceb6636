using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Formation.Errors;
using Formation.Formfiles;

namespace Formation.Silo.HttpApi;

/// <summary>
/// The body of <c>POST /v1/builds</c>: a tar archive of the build context (gzip-compressed or not) with the Formfile in
/// it. It is kept in a temporary file (deleted when disposed) so the Formfile can be read before the build session opens
/// and the archive then sent to the building node. Sizes are bounded after decompression as well, so a small gzip body
/// cannot expand past the limit. The archive's entries are checked again by the node that unpacks it.
/// </summary>
internal sealed class BuildContextUpload : IAsyncDisposable
{
    private readonly FileStream _file;

    private BuildContextUpload(FileStream file, string formfile)
    {
        _file = file;
        FormfileText = formfile;
    }

    public string FormfileText { get; }

    public long Length => _file.Length;

    /// <summary>Reads the whole body; InvalidArgument when it is not a tar archive or has no such Formfile.</summary>
    public static async Task<BuildContextUpload> ReadAsync(Stream body, string formfilePath, long maxBytes, CancellationToken cancellationToken)
    {
        var file = new FileStream(Path.Combine(Path.GetTempPath(), $"formation-http-build-{Guid.NewGuid():N}.tar"), new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        try
        {
            var magic = new byte[2];
            var got = await body.ReadAtLeastAsync(magic, 2, throwOnEndOfStream: false, cancellationToken);
            Stream source = new ConcatenatedStream(new MemoryStream(magic, 0, got), body);
            if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                source = new GZipStream(source, CompressionMode.Decompress);
            }

            await CopyBoundedAsync(source, file, maxBytes, cancellationToken);
            file.Position = 0;
            var formfile = await FindFormfileAsync(file, formfilePath, cancellationToken);
            file.Position = 0;
            return new BuildContextUpload(file, formfile);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
        {
            await file.DisposeAsync();
            throw FormationException.Invalid($"the body is not a tar archive (optionally gzip-compressed) of the build context: {ex.Message}. " +
                "Send one, e.g. `tar -C DIR -c . | curl --data-binary @- ...`.");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Copies the archive to <paramref name="destination"/> (the build session's upload).</summary>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        _file.Position = 0;
        await _file.CopyToAsync(destination, cancellationToken);
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();

    private static async Task CopyBoundedAsync(Stream source, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new RequestTooLargeException(maxBytes, "The build context after decompression");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private static async Task<string> FindFormfileAsync(Stream tar, string formfilePath, CancellationToken cancellationToken)
    {
        var wanted = ContextPaths.NormalizeSource(formfilePath, out var problem)
            ?? throw FormationException.Invalid($"formfile '{formfilePath}' is not a path inside the build context: it {problem}.");
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (ContextPaths.NormalizeSource(entry.Name, out _) != wanted
                || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
            {
                continue;
            }

            if (entry.Length > FormfileParser.MaxLength)
            {
                throw FormationException.Invalid($"the Formfile '{wanted}' is {entry.Length} bytes; a Formfile may be at most {FormfileParser.MaxLength / 1024} KiB.");
            }

            using var text = new StreamReader(entry.DataStream ?? Stream.Null, Encoding.UTF8);
            return await text.ReadToEndAsync(cancellationToken);
        }

        throw FormationException.Invalid($"the build context has no file '{wanted}': put the Formfile there, or name it with ?formfile=PATH.");
    }

    /// <summary>Reading a stream that starts with bytes already taken from it.</summary>
    private sealed class ConcatenatedStream(Stream first, Stream second) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await first.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : await second.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

using Formation.Formfiles;
using Formation.Images;
using Formation.Silo.Images;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Images;

/// <summary>
/// The receiving end of an image fetch against real stores on disk: chunks read from one store are written into a
/// fetch of another, verified and renamed in; tampered bytes, a lying manifest and malformed chunks leave nothing behind.
/// </summary>
public sealed class ImageImportTests : IDisposable
{
    private const long DiskBytes = 10L << 20;

    private readonly TestDirectory _data = new("image-import");
    private readonly ImageStore _source;
    private readonly ImageStore _target;

    public ImageImportTests()
    {
        _source = new ImageStore(new PackOptions { DataDirectory = _data.File("source") });
        _target = new ImageStore(new PackOptions { DataDirectory = _data.File("target") });
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A sparse 10 MiB "disk" with data at its start and at 7 MiB, registered in the source store.</summary>
    private async Task<ImageManifest> RegisterSparseDiskAsync()
    {
        var file = _data.File($"disk-{Guid.NewGuid():N}.ext4");
        await using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write))
        {
            stream.SetLength(DiskBytes);
            stream.Write(Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray());
            stream.Position = 7L << 20;
            stream.Write(Enumerable.Range(0, 5000).Select(i => (byte)(i + 1)).ToArray());
        }

        var manifest = new ImageManifest
        {
            Name = "fetched",
            Base = BaseImage.Tiny,
            CreatedAt = DateTimeOffset.UtcNow,
            KernelCommandLine = "console=ttyS0 root=/dev/vda rw",
            RootFilesystem = new ImageArtifact(ImageArtifactKind.Ext4Disk, "rootfs.ext4", await ChunkedDigest.ComputeAsync(file, Ct), DiskBytes),
            Resources = FormfileResources.Default,
        };
        return await _source.RegisterAsync(manifest, file, Ct);
    }

    /// <summary>Everything a fetch does, minus the grain calls: every chunk from the source store into an import.</summary>
    private async Task<ImageManifest> TransferAsync(ImageManifest manifest, Func<ImageChunk, ImageChunk>? tamper = null)
    {
        using var import = new ImageImport(_target, manifest.Digest, manifest);
        foreach (var file in import.Files)
        {
            for (long offset = 0; offset < file.SizeBytes; offset += ImageChunk.MaxBytes)
            {
                var chunk = await _source.ReadChunkAsync(manifest.Digest, file.FileName, offset, Ct);
                await import.WriteAsync(file.FileName, offset, tamper?.Invoke(chunk) ?? chunk, Ct);
            }
        }

        return await import.CommitAsync(Ct);
    }

    private string[] ScratchLeft() =>
        Directory.Exists(_data.File("target/pack/tmp")) ? Directory.GetDirectories(_data.File("target/pack/tmp")) : [];

    [Fact]
    public async Task Transfer_WholeImage_IsVerifiedAndRegistered_HolesStayHoles()
    {
        var manifest = await RegisterSparseDiskAsync();

        var imported = await TransferAsync(manifest);

        var entry = await _target.GetAsync(manifest.Digest, Ct);
        Assert.NotNull(entry);
        Assert.Equal(manifest.Digest, imported.Digest);
        Assert.Equal(manifest.RootFilesystem.Digest, await ChunkedDigest.ComputeAsync(entry.RootFilesystemPath, Ct));
        Assert.Equal(DiskBytes, new FileInfo(entry.RootFilesystemPath).Length);
        Assert.True(AllocatedBytes(entry.RootFilesystemPath) <= 2L << 20, $"{AllocatedBytes(entry.RootFilesystemPath)} bytes allocated");
        Assert.Empty(ScratchLeft());
    }

    [Fact]
    public async Task ReadChunk_OfAHole_SendsNoBytes()
    {
        var manifest = await RegisterSparseDiskAsync();

        var data = await _source.ReadChunkAsync(manifest.Digest, "rootfs.ext4", 0, Ct);
        var hole = await _source.ReadChunkAsync(manifest.Digest, "rootfs.ext4", 3L << 20, Ct);

        Assert.Equal((false, ImageChunk.MaxBytes, DiskBytes), (data.Hole, data.Data.Length, data.FileLength));
        Assert.Equal((true, 0), (hole.Hole, hole.Data.Length));
    }

    [Fact]
    public async Task Transfer_ByteFlippedBySource_FailsWithDigestMismatch_AndNothingStays()
    {
        var manifest = await RegisterSparseDiskAsync();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => TransferAsync(manifest, chunk =>
        {
            if (chunk.Offset != 0)
            {
                return chunk;
            }

            var bytes = chunk.Data.ToArray();
            bytes[1234] ^= 0x01;
            return chunk with { Data = bytes };
        }));

        Assert.StartsWith("digest mismatch: rootfs.ext4 hashes to sha256-4m:", error.Message);
        Assert.Null(await _target.GetAsync(manifest.Digest, Ct));
        Assert.Empty(Directory.Exists(_data.File("target/images")) ? Directory.GetDirectories(_data.File("target/images")).Where(d => !d.EndsWith("refs")) : []);
        Assert.Empty(ScratchLeft());
    }

    [Fact]
    public async Task Transfer_DataWhereTheSourceHasAHole_FailsWithDigestMismatch()
    {
        var manifest = await RegisterSparseDiskAsync();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => TransferAsync(manifest, chunk =>
            chunk.Hole ? chunk with { Hole = false, Data = Enumerable.Repeat((byte)0x5a, ImageChunk.MaxBytes).ToArray() } : chunk));

        Assert.Contains("digest mismatch", error.Message);
        Assert.Null(await _target.GetAsync(manifest.Digest, Ct));
        Assert.Empty(ScratchLeft());
    }

    [Fact]
    public async Task BeginImport_ManifestThatDoesNotHashToTheDigest_IsRefusedBeforeAnythingIsWritten()
    {
        var manifest = await RegisterSparseDiskAsync();
        var lying = manifest with { KernelCommandLine = "console=ttyS0 init=/bin/sh" };

        var error = Assert.Throws<InvalidDataException>(() => new ImageImport(_target, manifest.Digest, lying));

        Assert.Contains($"digest mismatch: the manifest the source sent hashes to sha256:", error.Message);
        Assert.Contains($"not {manifest.Digest}", error.Message);
        Assert.Empty(ScratchLeft());
    }

    [Theory]
    [InlineData("../../../etc/cron.d/x")]
    [InlineData("manifest.json")]
    [InlineData(".hidden")]
    public async Task BeginImport_ManifestNamingABadFile_IsRefused_EvenWhenItsDigestIsConsistent(string fileName)
    {
        var manifest = await RegisterSparseDiskAsync();
        var evil = manifest with { Digest = "", RootFilesystem = manifest.RootFilesystem with { FileName = fileName } };
        evil = evil with { Digest = ImageStore.ComputeDigest(evil) };

        var error = Assert.Throws<InvalidDataException>(() => new ImageImport(_target, evil.Digest, evil));

        Assert.Contains($"invalid root filesystem file '{fileName}'", error.Message);
        Assert.Empty(ScratchLeft());
    }

    [Fact]
    public async Task Write_ChunkThatIsNotWhatWasAskedFor_IsRefused()
    {
        var manifest = await RegisterSparseDiskAsync();
        var good = await _source.ReadChunkAsync(manifest.Digest, "rootfs.ext4", 0, Ct);
        using var import = new ImageImport(_target, manifest.Digest, manifest);

        var shifted = await Assert.ThrowsAsync<InvalidDataException>(() => import.WriteAsync("rootfs.ext4", 1L << 20, good, Ct));
        var longer = await Assert.ThrowsAsync<InvalidDataException>(() =>
            import.WriteAsync("rootfs.ext4", 0, good with { Data = new byte[ImageChunk.MaxBytes + 1] }, Ct));
        var resized = await Assert.ThrowsAsync<InvalidDataException>(() => import.WriteAsync("rootfs.ext4", 0, good with { FileLength = 1L << 40 }, Ct));
        var beyond = await Assert.ThrowsAsync<InvalidDataException>(() => import.WriteAsync("rootfs.ext4", DiskBytes, good with { Offset = DiskBytes }, Ct));
        var other = await Assert.ThrowsAsync<InvalidDataException>(() => import.WriteAsync("other.img", 0, good, Ct));

        Assert.Contains("answered a request for 1048576 bytes of rootfs.ext4 at 1048576 with 1048576 bytes at 0", shifted.Message);
        Assert.Contains("with 1048577 bytes", longer.Message);
        Assert.Contains("of a 1099511627776-byte file", resized.Message);
        Assert.Contains("outside rootfs.ext4", beyond.Message);
        Assert.Contains("'other.img' is not a file of image", other.Message);
    }

    [Theory]
    [InlineData("../manifest.json")]
    [InlineData("manifest.json")]
    [InlineData("/etc/shadow")]
    public async Task ReadChunk_NameOutsideTheImagesFiles_IsRefused(string fileName)
    {
        var manifest = await RegisterSparseDiskAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => _source.ReadChunkAsync(manifest.Digest, fileName, 0, Ct));
    }

    [Fact]
    public async Task ReadChunk_ImageNotHeld_SaysSo()
    {
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => _source.ReadChunkAsync("sha256:" + new string('a', 64), "rootfs.ext4", 0, Ct));

        Assert.Contains("does not hold rootfs.ext4 of image sha256:aaaa", error.Message);
    }

    /// <summary>Bytes the file system allocated to the file (st_blocks × 512), via stat(1).</summary>
    private static long AllocatedBytes(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        stat.WaitForExit();
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }

    public void Dispose() => _data.Dispose();
}

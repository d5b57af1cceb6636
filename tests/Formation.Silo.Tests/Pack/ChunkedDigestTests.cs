using System.Security.Cryptography;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

public class ChunkedDigestTests : IDisposable
{
    private readonly TestDirectory _dir = new("digest");

    private static string Naive(byte[] content)
    {
        using var tree = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var offset = 0; offset < content.Length; offset += ChunkedDigest.ChunkSize)
        {
            tree.AppendData(SHA256.HashData(content.AsSpan(offset, Math.Min(ChunkedDigest.ChunkSize, content.Length - offset))));
        }

        return ChunkedDigest.Prefix + Convert.ToHexStringLower(tree.GetHashAndReset());
    }

    [Fact]
    public async Task ComputeAsync_SparseFile_EqualsDigestOfTheSameBytesWrittenOut()
    {
        var size = 3 * ChunkedDigest.ChunkSize + 12345;
        var sparse = Path.Combine(_dir.Path, "sparse");
        await using (var stream = File.Create(sparse))
        {
            stream.SetLength(size);
            stream.Position = ChunkedDigest.ChunkSize + 7;
            stream.Write("data"u8);
        }

        var dense = new byte[size];
        "data"u8.CopyTo(dense.AsSpan(ChunkedDigest.ChunkSize + 7));
        var densePath = Path.Combine(_dir.Path, "dense");
        await File.WriteAllBytesAsync(densePath, dense, TestContext.Current.CancellationToken);

        var expected = Naive(dense);
        Assert.Equal(expected, await ChunkedDigest.ComputeAsync(sparse, TestContext.Current.CancellationToken));
        Assert.Equal(expected, await ChunkedDigest.ComputeAsync(densePath, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ComputeAsync_OneByteChanged_ChangesDigest()
    {
        var path = _dir.Write("f", "hello");
        var before = await ChunkedDigest.ComputeAsync(path, TestContext.Current.CancellationToken);
        File.WriteAllText(path, "hellp");
        Assert.NotEqual(before, await ChunkedDigest.ComputeAsync(path, TestContext.Current.CancellationToken));
        Assert.Equal(Naive("hellp"u8.ToArray()), await ChunkedDigest.ComputeAsync(path, TestContext.Current.CancellationToken));
    }

    public void Dispose() => _dir.Dispose();
}

using System.Security.Cryptography;
using Formation.Images;

namespace Formation.Grains.Abstractions.Tests.Images;

public sealed class ChunkedUploadStreamTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1024, 1)]
    [InlineData(1025, 2)]
    [InlineData(5000, 5)]
    public async Task WriteAsync_AnyLength_SendsOrderedChunksOfAtMostTheSizeAndTheirDigest(int length, int chunks)
    {
        var data = new byte[length];
        Random.Shared.NextBytes(data);
        var received = new MemoryStream();
        var sent = new List<(long Offset, int Length)>();
        var upload = new ChunkedUploadStream((offset, chunk) =>
        {
            Assert.Equal(received.Length, offset);
            sent.Add((offset, chunk.Length));
            received.Write(chunk);
            return Task.CompletedTask;
        }, 1024);

        for (var i = 0; i < length; i += 300)
        {
            await upload.WriteAsync(data.AsMemory(i, Math.Min(300, length - i)), TestContext.Current.CancellationToken);
        }

        await upload.CompleteAsync();

        Assert.Equal(data, received.ToArray());
        Assert.Equal(chunks, sent.Count);
        Assert.All(sent, c => Assert.InRange(c.Length, 1, 1024));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), upload.Sha256);
        Assert.Equal(length, upload.Length);
    }
}

using System.Security.Cryptography;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

/// <summary>
/// The digest computed while a file streams in (data and holes in 1 MiB ranges, as the image stream sends them) must be
/// exactly the digest of the file's bytes: whole chunks of holes, chunks mixing holes and data, a short last chunk of
/// zeros, data split at odd places.
/// </summary>
public class ChunkedDigestBuilderTests
{
    private const int Range = 1 << 20;

    private static string Naive(byte[] content)
    {
        using var tree = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var offset = 0; offset < content.Length; offset += ChunkedDigest.ChunkSize)
        {
            tree.AppendData(SHA256.HashData(content.AsSpan(offset, Math.Min(ChunkedDigest.ChunkSize, content.Length - offset))));
        }

        return ChunkedDigest.Prefix + Convert.ToHexStringLower(tree.GetHashAndReset());
    }

    /// <summary>A file of <paramref name="ranges"/> 1 MiB ranges (+ <paramref name="tail"/> bytes): 'D' random data, 'H' a hole (zeros).</summary>
    [Theory]
    [InlineData("DHDHDHDHDH", 0)]         // holes inside data chunks
    [InlineData("HHHHDDDDHHHHH", 12345)]  // a whole chunk of holes, and a short last chunk of zeros
    [InlineData("HHHHHHHH", 0)]           // nothing but holes
    [InlineData("DDDDDDDDD", 1)]          // data, a one-byte tail
    [InlineData("", 0)]                   // an empty file
    public void Streamed_DataAndHoles_GivesTheDigestOfTheFilesBytes(string ranges, int tail)
    {
        var content = new byte[ranges.Length * (long)Range + tail];
        for (var i = 0; i < ranges.Length; i++)
        {
            if (ranges[i] == 'D')
            {
                RandomNumberGenerator.Fill(content.AsSpan(i * Range, Range));
            }
        }

        using var builder = new ChunkedDigestBuilder();
        for (var i = 0; i < ranges.Length; i++)
        {
            if (ranges[i] == 'H')
            {
                builder.AppendZeros(Range);
            }
            else
            {
                // Split oddly, so appends straddle nothing in particular.
                builder.AppendData(content.AsSpan(i * Range, 1000));
                builder.AppendData(content.AsSpan(i * Range + 1000, Range - 1000));
            }
        }

        builder.AppendZeros(tail);

        Assert.Equal(content.Length, builder.Length);
        Assert.Equal(Naive(content), builder.Finish());
    }

    [Fact]
    public void Streamed_OneByteDifferent_GivesAnotherDigest()
    {
        var content = RandomNumberGenerator.GetBytes(5 * Range);
        using var builder = new ChunkedDigestBuilder();
        content[3 * Range + 17] ^= 1;
        builder.AppendData(content);

        content[3 * Range + 17] ^= 1;
        Assert.NotEqual(Naive(content), builder.Finish());
    }
}

using System.Security.Cryptography;

namespace Formation.Silo.Pack;

/// <summary>
/// The <see cref="ChunkedDigest"/> of a file computed from its bytes handed over in order, as they arrive from another
/// node and are written, so a received file is verified without reading it back. Ranges that arrived as holes are
/// zeros; a whole 4 MiB chunk of them takes the precomputed digest of zeros, as <see cref="ChunkedDigest.ComputeAsync"/> does.
/// </summary>
internal sealed class ChunkedDigestBuilder : IDisposable
{
    private static readonly byte[] Zeros = new byte[1 << 20];
    private readonly IncrementalHash _tree = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _chunk = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _filled;
    private int _pendingZeros;
    private bool _hasData;

    /// <summary>Bytes handed over so far.</summary>
    public long Length { get; private set; }

    public void AppendData(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            FlushZeros();
            var take = Math.Min(ChunkedDigest.ChunkSize - _filled, data.Length);
            _chunk.AppendData(data[..take]);
            _hasData = true;
            Advance(take);
            data = data[take..];
        }
    }

    /// <summary><paramref name="count"/> zeros (a hole); hashed only if the chunk they fall in turns out to hold data.</summary>
    public void AppendZeros(long count)
    {
        while (count > 0)
        {
            var take = (int)Math.Min(ChunkedDigest.ChunkSize - _filled, count);
            _pendingZeros += take;
            Advance(take);
            count -= take;
        }
    }

    /// <summary>The digest, <c>sha256-4m:&lt;hex&gt;</c>, of everything handed over.</summary>
    public string Finish()
    {
        if (_filled > 0)
        {
            _hasData = true; // a short last chunk is hashed as it is, zeros or not
            Close();
        }

        return ChunkedDigest.Prefix + Convert.ToHexStringLower(_tree.GetHashAndReset());
    }

    private void Advance(int bytes)
    {
        _filled += bytes;
        Length += bytes;
        if (_filled == ChunkedDigest.ChunkSize)
        {
            Close();
        }
    }

    private void Close()
    {
        if (_hasData)
        {
            FlushZeros();
            _tree.AppendData(_chunk.GetHashAndReset());
        }
        else
        {
            _tree.AppendData(ChunkedDigest.ZeroChunkDigest);
        }

        (_filled, _pendingZeros, _hasData) = (0, 0, false);
    }

    private void FlushZeros()
    {
        for (; _pendingZeros > 0; _pendingZeros -= Math.Min(_pendingZeros, Zeros.Length))
        {
            _chunk.AppendData(Zeros, 0, Math.Min(_pendingZeros, Zeros.Length));
        }
    }

    public void Dispose()
    {
        _tree.Dispose();
        _chunk.Dispose();
    }
}

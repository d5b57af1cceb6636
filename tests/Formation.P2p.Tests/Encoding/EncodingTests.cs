using Formation.P2p.Encoding;

namespace Formation.P2p.Tests.Encoding;

public sealed class EncodingTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7F")]
    [InlineData(128UL, "8001")]
    [InlineData(300UL, "AC02")]
    [InlineData(16384UL, "808001")]
    public void Varint_RoundTrips(ulong value, string hex)
    {
        Assert.Equal(hex, Convert.ToHexString(Varint.Encode(value)));
        Assert.True(Varint.TryRead(Convert.FromHexString(hex), out var read, out var n));
        Assert.Equal(value, read);
        Assert.Equal(hex.Length / 2, n);
    }

    [Fact]
    public void Varint_NonMinimalOrOverlong_Throws()
    {
        Assert.Throws<P2pProtocolException>(() => Varint.TryRead([0x80, 0x00], out _, out _));
        Assert.Throws<P2pProtocolException>(() => Varint.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], out _, out _));
        Assert.False(Varint.TryRead([0x80], out _, out _));
    }

    [Fact]
    public async Task LengthPrefixed_OversizedOrTruncated_Throws()
    {
        await Assert.ThrowsAsync<P2pProtocolException>(async () => await LengthPrefixed.ReadAsync(new MemoryStream([0x80, 0x02, 1, 2]), 100, default));
        await Assert.ThrowsAsync<P2pProtocolException>(async () => await LengthPrefixed.ReadAsync(new MemoryStream([0x05, 1, 2]), 100, default));
        Assert.Null(await LengthPrefixed.ReadAsync(new MemoryStream([]), 100, default));
    }

    [Fact]
    public void Base58_KnownVectors()
    {
        Assert.Equal("", Base58.Encode([]));
        Assert.Equal("1112", Base58.Encode([0, 0, 0, 1]));
        Assert.Equal("StV1DL6CwTryKyV", Base58.Encode("hello world"u8));
        Assert.True(Base58.TryDecode("StV1DL6CwTryKyV", out var bytes));
        Assert.Equal("hello world"u8.ToArray(), bytes);
        Assert.False(Base58.TryDecode("0OIl", out _));
    }

    [Fact]
    public void Base32_RoundTrips()
    {
        var data = new byte[] { 1, 0x72, 0, 0x24, 8, 1, 0xFF };
        Assert.True(Base32.TryDecode(Base32.Encode(data), out var back));
        Assert.Equal(data, back);
        Assert.Equal("mzxw6ytboi", Base32.Encode("foobar"u8));
    }

    [Fact]
    public void ProtoReader_FieldLongerThanMessage_Throws()
    {
        var ok = new ProtoWriter().WriteVarint(1, 5).WriteString(2, "x").ToArray();
        var reader = new ProtoReader(ok);
        Assert.True(reader.TryReadTag(out var f1));
        Assert.Equal(1, f1);
        Assert.Equal(5UL, reader.ReadVarint());
        Assert.True(reader.TryReadTag(out _));
        Assert.Equal("x", reader.ReadString());
        Assert.False(reader.TryReadTag(out _));
        Assert.Throws<P2pProtocolException>(() =>
        {
            var bad = new ProtoReader([0x12, 0x05, 0x01]);
            bad.TryReadTag(out _);
            bad.ReadBytes();
        });
    }
}

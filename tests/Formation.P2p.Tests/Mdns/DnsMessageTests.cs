using Formation.P2p.Mdns;

namespace Formation.P2p.Tests.Mdns;

public sealed class DnsMessageTests
{
    [Fact]
    public void JsQuery_Parses_AndEncodesIdentically()
    {
        var js = Convert.FromHexString("000000000001000000000000045f703270045f756470056c6f63616c00000c0001");
        var query = DnsMessage.Decode(js);
        Assert.False(query.IsResponse);
        Assert.Equal(("_p2p._udp.local", DnsRecord.Ptr), query.Questions.Single());
        Assert.Equal(js, new DnsMessage(0, [("_p2p._udp.local", DnsRecord.Ptr)], []).Encode());
    }

    [Fact]
    public void Response_RoundTrips_WithCompressionPointers()
    {
        var response = new DnsMessage(DnsMessage.ResponseFlags,
            [], [new DnsRecord("_p2p._udp.local", DnsRecord.Ptr, 120, "abc._p2p._udp.local", []), new DnsRecord("abc._p2p._udp.local", DnsRecord.Txt, 120, null, ["dnsaddr=/ip4/127.0.0.1/tcp/1"])]);
        var back = DnsMessage.Decode(response.Encode());
        Assert.True(back.IsResponse);
        Assert.Equal("abc._p2p._udp.local", back.Records[0].Target);
        Assert.Equal("dnsaddr=/ip4/127.0.0.1/tcp/1", back.Records[1].Texts.Single());

        // A PTR whose target is "abc" + pointer to offset 12 (the question name).
        byte[] compressed = [0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0,
            4, .. "_p2p"u8, 4, .. "_udp"u8, 5, .. "local"u8, 0, 0, 12, 0, 1,
            0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 120, 0, 6, 3, .. "abc"u8, 0xC0, 12];
        var parsed = DnsMessage.Decode(compressed);
        Assert.Equal("abc._p2p._udp.local", parsed.Records.Single().Target);
    }

    [Fact]
    public void PointerLoopAndTruncation_AreRefused()
    {
        byte[] loop = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1];
        Assert.Throws<P2pProtocolException>(() => DnsMessage.Decode(loop));
        Assert.Throws<P2pProtocolException>(() => DnsMessage.Decode([0, 0, 0, 0, 0, 1]));
        Assert.Throws<P2pProtocolException>(() => DnsMessage.Decode([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 1]));
    }
}

using System.Net;
using Formation.P2p.Addressing;

namespace Formation.P2p.Tests.Addressing;

public sealed class MultiaddrTests
{
    [Fact]
    public void Ip4Tcp_TextAndBinary()
    {
        var a = Multiaddr.Parse("/ip4/127.0.0.1/tcp/40030");
        Assert.Equal("047F000001069C5E", Convert.ToHexString(a.Bytes));
        Assert.Equal(a, Multiaddr.FromBytes(Convert.FromHexString("047f000001069c5e")));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 40030), a.ToTcpEndPoint());
    }

    [Fact]
    public void Certhash_BinaryAndTextRoundTrip()
    {
        // Found by the multiaddr fuzz target in CI: the binary form was accepted, its text form was refused.
        var bytes = Convert.FromHexString("047F000001060FA1D203260024080112203EE2A8A7283CB2FD728943DAA127EF09E483071A8B4BC6EFBA4522F09B14CFDE");
        Assert.True(Multiaddr.TryFromBytes(bytes, out var address, out _));
        var text = address.ToString();
        Assert.Equal("/ip4/127.0.0.1/tcp/4001/certhash/uACQIARIgPuKopyg8sv1yiUPaoSfvCeSDBxqLS8bvukUi8JsUz94", text);
        Assert.Equal(address, Multiaddr.Parse(text));
        Assert.Throws<FormatException>(() => Multiaddr.Parse("/ip4/127.0.0.1/tcp/1/certhash/mAA"));   // another multibase
        Assert.Throws<FormatException>(() => Multiaddr.Parse("/ip4/127.0.0.1/tcp/1/certhash/uA+A"));  // not base64url
    }

    [Fact]
    public void PeerIdSuffix_AddsAndStrips()
    {
        var full = Multiaddr.Parse("/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp");
        Assert.Equal("12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp", full.PeerId!.ToString());
        Assert.Equal("/ip4/10.0.0.1/tcp/4001", full.WithoutPeerId().ToString());
        Assert.Equal(full, full.WithoutPeerId().WithPeerId(full.PeerId));
        Assert.Equal(full.ToString(), Multiaddr.FromBytes(full.Bytes).ToString());
    }

    [Fact]
    public void MappedIpv4_BecomesIp4()
    {
        var a = Multiaddr.FromTcpEndPoint(new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 5));
        Assert.Equal("/ip4/127.0.0.1/tcp/5", a.ToString());
        Assert.Equal("/ip6/::1/tcp/5", Multiaddr.FromTcpEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 5)).ToString());
    }

    [Theory]
    [InlineData("ip4/1.2.3.4")]
    [InlineData("/ip4/300.1.1.1/tcp/1")]
    [InlineData("/tcp/99999")]
    [InlineData("/bogus/1")]
    [InlineData("/p2p/notapeer")]
    public void BadText_SaysWhy(string text)
    {
        Assert.False(Multiaddr.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void BadBinary_IsRefused()
    {
        Assert.False(Multiaddr.TryFromBytes([0x04, 0x7f], out _, out _));          // truncated ip4
        Assert.False(Multiaddr.TryFromBytes([0xFF, 0x7F], out _, out _));          // unknown code
        Assert.False(Multiaddr.TryFromBytes([0x35, 0x05, (byte)'a'], out _, out _)); // dns length past the end
    }
}

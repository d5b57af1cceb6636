using System.Net;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

public sealed class ResolvConfTests
{
    [Fact]
    public void Parse_NameserversInOrder_CommentsAndOtherLinesIgnored()
    {
        var servers = ResolvConf.Parse("# generated\nsearch example\nnameserver 10.255.255.53\nnameserver  fe80::1%eth0 ; link\nnameserver 10.255.255.53\noptions ndots:2\n");

        Assert.Equal([IPAddress.Parse("10.255.255.53"), IPAddress.Parse("fe80::1")], servers);
    }
}

using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// What a name means to each asker, as a pure function over one table: the host and the admin account's guests see
/// every account's names (<c>web</c> is admin's, <c>web.bob</c> bob's); bob's guest sees bob's names bare and under
/// <c>bob</c>, the nodes', and nothing of admin's or alice's (NXDOMAIN, exactly as a name nobody has); a guest-range
/// source no VM holds sees only the nodes.
/// </summary>
public sealed class AccountViewTests
{
    private static readonly DnsAsker Bob = DnsAsker.GuestOf("bob");
    private static readonly DnsAsker Alice = DnsAsker.GuestOf("alice");

    private readonly ZoneAnswerer _answerer = new("fog", TimeSpan.FromSeconds(5), "n1.node");

    private static ZoneSnapshot Zone() => new(3, new Dictionary<string, IReadOnlyList<ZoneRecord>>
    {
        ["web"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.2")]),
        ["web.bob"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.3")]),
        ["web.alice"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.4")]),
        ["db.alice"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.5")]),
        ["api.bob"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.6"), IPAddress.Parse("10.77.1.7")]),
        ["_http._tcp.api.bob"] = [new ServiceRecord(0, 1, 8080, "api-1.bob"), new ServiceRecord(0, 1, 8080, "api-2.bob")],
        ["api-1.bob"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.6")]),
        ["node"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.8")]), // admin's VM called "node"
        ["node.bob"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.9")]), // bob's VM called "node"
        ["bob"] = DnsTable.Addresses([IPAddress.Parse("10.77.1.10")]), // admin's VM called like bob's account
        ["n1.node"] = DnsTable.Addresses([IPAddress.Parse("10.77.0.1")]),
    });

    private DnsMessage Ask(string name, DnsAsker asker, RecordType type = RecordType.A) =>
        _answerer.Answer(new DnsMessage { Questions = [new DnsQuestion(DomainName.Parse(name), type, RecordClass.INet)] }, asker, Zone()).Response!;

    private string[] Addresses(string name, DnsAsker asker)
    {
        var response = Ask(name, asker);
        Assert.Equal(ReturnCode.NoError, response.ReturnCode);
        return [.. response.AnswerRecords.OfType<ARecord>().Select(a => a.Address.ToString())];
    }

    [Theory]
    [InlineData("web.fog", "10.77.1.2")]
    [InlineData("web.bob.fog", "10.77.1.3")]
    [InlineData("web.alice.fog", "10.77.1.4")]
    [InlineData("node.fog", "10.77.1.8")]
    [InlineData("bob.fog", "10.77.1.10")]
    [InlineData("n1.node.fog", "10.77.0.1")]
    public void HostAndAdminsGuests_SeeEveryAccountsNames(string name, string address)
    {
        Assert.Equal([address], Addresses(name, DnsAsker.Outside));
        Assert.Equal([address], Addresses(name, DnsAsker.Fabric));
        Assert.Equal([address], Addresses(name, DnsAsker.GuestOf("admin")));
    }

    [Fact]
    public void TwoAccountsGuests_AskingTheSameBareName_EachGetTheirOwnAccounts()
    {
        Assert.Equal(["10.77.1.3"], Addresses("web.fog", Bob));
        Assert.Equal(["10.77.1.4"], Addresses("web.fog", Alice));
        Assert.Equal(["10.77.1.3"], Addresses("web.bob.fog", Bob));
        Assert.Equal(["10.77.1.4"], Addresses("WEB.Alice.fog", Alice));
    }

    [Theory]
    [InlineData("web.alice.fog")] // another account's VM
    [InlineData("db.alice.fog")]
    [InlineData("db.fog")] // alice's db, asked bare
    [InlineData("alice.fog")] // another account's label: not even an empty name
    [InlineData("web.admin.fog")] // the admin account has no label: its names are bare, and bare means bob's own
    [InlineData("x.web.bob.fog")]
    [InlineData("nothere.fog")]
    public void AnotherAccountsName_IsNxDomainToAMembersGuest_ExactlyLikeAMissingName(string name)
    {
        var response = Ask(name, Bob);

        Assert.Equal(ReturnCode.NxDomain, response.ReturnCode);
        Assert.Empty(response.AnswerRecords);
        Assert.IsType<SoaRecord>(Assert.Single(response.AuthorityRecords));
    }

    [Fact]
    public void MembersGuest_SeesItsServiceAndSrvNames_WithTargetsItCanResolve()
    {
        Assert.Equal(["10.77.1.6", "10.77.1.7"], Addresses("api.fog", Bob));
        Assert.Equal(["10.77.1.6", "10.77.1.7"], Addresses("api.bob.fog", Bob));

        foreach (var name in new[] { "_http._tcp.api.fog", "_http._tcp.api.bob.fog" })
        {
            var srv = Ask(name, Bob, RecordType.Srv).AnswerRecords.OfType<SrvRecord>().ToList();
            Assert.Equal(["api-1.bob.fog", "api-2.bob.fog"], srv.Select(s => s.Target.ToString().TrimEnd('.')));
        }

        Assert.Equal(["10.77.1.6"], Addresses("api-1.bob.fog", Bob));
        Assert.Equal(ReturnCode.NxDomain, Ask("_http._tcp.api.bob.fog", Alice, RecordType.Srv).ReturnCode);
        Assert.Equal(ReturnCode.NxDomain, Ask("_http._tcp.api.fog", Alice, RecordType.Srv).ReturnCode);
    }

    [Fact]
    public void NodeNames_AnswerEveryone_AndTheNodeLabelIsNeverAnotherAccountsVm()
    {
        Assert.Equal(["10.77.0.1"], Addresses("n1.node.fog", Bob));
        Assert.Equal(["10.77.0.1"], Addresses("n1.node.fog", DnsAsker.Stranger));

        // Bare "node" is bob's VM called node for bob, nobody's for alice (NODATA: the nodes are below it), and never
        // admin's VM of that name.
        Assert.Equal(["10.77.1.9"], Addresses("node.fog", Bob));
        var alice = Ask("node.fog", Alice);
        Assert.Equal(ReturnCode.NoError, alice.ReturnCode);
        Assert.Empty(alice.AnswerRecords);
        var stranger = Ask("node.fog", DnsAsker.Stranger);
        Assert.Equal(ReturnCode.NoError, stranger.ReturnCode);
        Assert.Empty(stranger.AnswerRecords);
    }

    [Fact]
    public void MembersOwnAccountLabel_ExistsForIt_ButAdminsVmOfThatNameIsNotItsToSee()
    {
        var bob = Ask("bob.fog", Bob); // admin's VM "bob" is not bob's; the label exists (bob's names are below it)

        Assert.Equal(ReturnCode.NoError, bob.ReturnCode);
        Assert.Empty(bob.AnswerRecords);
        Assert.Equal(ReturnCode.NxDomain, Ask("bob.fog", Alice).ReturnCode);
    }

    [Theory]
    [InlineData("web.fog")]
    [InlineData("web.bob.fog")]
    [InlineData("api.bob.fog")]
    [InlineData("bob.fog")]
    public void AGuestRangeSourceNoVmHolds_SeesNoAccountsNames(string name)
    {
        Assert.Equal(ReturnCode.NxDomain, Ask(name, DnsAsker.Stranger).ReturnCode);
    }

    [Fact]
    public void OutsideTheZone_AMembersGuestIsForwardedToo()
    {
        var query = new DnsMessage { Questions = [new DnsQuestion(DomainName.Parse("example.com"), RecordType.A, RecordClass.INet)] };

        Assert.True(_answerer.Answer(query, Bob, Zone()).Forward);
        Assert.True(_answerer.Answer(query, DnsAsker.Stranger, Zone()).Forward);
        Assert.False(_answerer.Answer(query, DnsAsker.Outside, Zone()).Forward);
    }

    [Theory]
    [InlineData("web", "admin", "web")]
    [InlineData("web", "bob", "web.bob")]
    [InlineData("web", "node", null)] // an account made before 'node' was reserved: no names, never the nodes'
    [InlineData("Web", "bob", null)]
    [InlineData("web", "Bob", null)]
    [InlineData("web", "bob/x", null)]
    public void Owned_NamesAnAccountsResource_OrNothingWhenItCouldMixWithAnothers(string name, string account, string? expected)
    {
        Assert.Equal(expected, ZoneNames.Owned(account, name));
    }
}

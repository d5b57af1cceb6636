using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

/// <summary>The answer rules as a pure function: no sockets (the live tests send the same over the wire).</summary>
public sealed class ZoneAnswererTests
{
    private readonly ZoneAnswerer _answerer = new("fog", TimeSpan.FromSeconds(5), "node-1.node");

    private static ZoneSnapshot Zone() => new(7, new Dictionary<string, IReadOnlyList<ZoneRecord>>
    {
        ["web"] = [new AddressRecord(IPAddress.Parse("10.77.1.2"))],
        ["node-1.node"] = [new AddressRecord(IPAddress.Parse("10.77.1.1"))],
        ["_http._tcp.web"] = [new ServiceRecord(0, 0, 8080, "web")],
    });

    private static DnsMessage Query(string name, RecordType type = RecordType.A) =>
        new() { TransactionID = 42, IsRecursionDesired = true, Questions = [new DnsQuestion(DomainName.Parse(name), type, RecordClass.INet)] };

    [Fact]
    public void KnownName_AnyCase_AnswersItsAddressAuthoritatively()
    {
        var response = _answerer.Answer(Query("WeB.Fog"), false, Zone()).Response!;

        Assert.Equal(ReturnCode.NoError, response.ReturnCode);
        Assert.True(response.IsAuthoritiveAnswer);
        Assert.Equal(42, response.TransactionID);
        var a = Assert.IsType<ARecord>(Assert.Single(response.AnswerRecords));
        Assert.Equal(IPAddress.Parse("10.77.1.2"), a.Address);
        Assert.Equal(5, a.TimeToLive);
    }

    [Fact]
    public void UnknownName_IsNxDomainWithTheSoa()
    {
        var response = _answerer.Answer(Query("nothere.fog"), false, Zone()).Response!;

        Assert.Equal(ReturnCode.NxDomain, response.ReturnCode);
        Assert.Empty(response.AnswerRecords);
        var soa = Assert.IsType<SoaRecord>(Assert.Single(response.AuthorityRecords));
        Assert.Equal(7u, soa.SerialNumber);
        Assert.Equal(5, soa.NegativeCachingTTL);
    }

    [Theory]
    [InlineData("web.fog", RecordType.Aaaa)]
    [InlineData("web.fog", RecordType.Mx)]
    [InlineData("node.fog", RecordType.A)] // an empty non-terminal: node-1.node exists below it
    [InlineData("_tcp.web.fog", RecordType.Srv)]
    public void KnownNameWithoutThatType_IsNoDataWithTheSoa(string name, RecordType type)
    {
        var response = _answerer.Answer(Query(name, type), false, Zone()).Response!;

        Assert.Equal(ReturnCode.NoError, response.ReturnCode);
        Assert.Empty(response.AnswerRecords);
        Assert.IsType<SoaRecord>(Assert.Single(response.AuthorityRecords));
    }

    [Fact]
    public void ServiceName_AnswersSrvWithTheTargetInTheZone()
    {
        var response = _answerer.Answer(Query("_http._tcp.web.fog", RecordType.Srv), false, Zone()).Response!;

        var srv = Assert.IsType<SrvRecord>(Assert.Single(response.AnswerRecords));
        Assert.Equal(8080, srv.Port);
        Assert.Equal(DomainName.Parse("web.fog"), srv.Target);
    }

    [Fact]
    public void Apex_AnswersSoaAndNs()
    {
        var soa = _answerer.Answer(Query("fog", RecordType.Soa), false, Zone()).Response!;
        var ns = _answerer.Answer(Query("fog", RecordType.Ns), false, Zone()).Response!;

        Assert.Equal(DomainName.Parse("node-1.node.fog"), Assert.IsType<SoaRecord>(Assert.Single(soa.AnswerRecords)).MasterName);
        Assert.Equal(DomainName.Parse("node-1.node.fog"), Assert.IsType<NsRecord>(Assert.Single(ns.AnswerRecords)).NameServer);
    }

    [Fact]
    public void OutsideTheZone_FromANonGuest_IsRefusedWithoutRecursion()
    {
        var answer = _answerer.Answer(Query("example.com"), fromGuest: false, Zone());

        Assert.False(answer.Forward);
        Assert.Equal(ReturnCode.Refused, answer.Response!.ReturnCode);
        Assert.False(answer.Response.IsRecursionAllowed);
        Assert.False(answer.Response.IsAuthoritiveAnswer);
    }

    [Fact]
    public void OutsideTheZone_FromAGuest_IsForwarded()
    {
        Assert.True(_answerer.Answer(Query("example.com"), fromGuest: true, Zone()).Forward);
        Assert.True(_answerer.Answer(Query("fogx"), fromGuest: true, Zone()).Forward); // a suffix of letters is not the zone
    }

    [Fact]
    public void TwoQuestions_IsFormErr_AndAnotherOpcode_IsNotImp()
    {
        var two = Query("web.fog");
        two.Questions.Add(new DnsQuestion(DomainName.Parse("x.fog"), RecordType.A, RecordClass.INet));
        Assert.Equal(ReturnCode.FormatError, _answerer.Answer(two, false, Zone()).Response!.ReturnCode);

        var notify = Query("web.fog");
        notify.OperationCode = OperationCode.Notify;
        Assert.Equal(ReturnCode.NotImplemented, _answerer.Answer(notify, false, Zone()).Response!.ReturnCode);
    }

    [Fact]
    public void LabelWithADot_IsNotMistakenForTwoLabels()
    {
        // "node-1\.node" as one label must not find node-1.node.
        var name = new DomainName(["node-1.node", "fog"]);
        var response = _answerer.Answer(new DnsMessage { Questions = [new DnsQuestion(name, RecordType.A, RecordClass.INet)] }, false, Zone()).Response!;

        Assert.Equal(ReturnCode.NxDomain, response.ReturnCode);
    }
}

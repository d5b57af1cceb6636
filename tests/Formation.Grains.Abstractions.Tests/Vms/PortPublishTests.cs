using Formation.Errors;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Vms;

public sealed class PortPublishTests
{
    [Theory]
    [InlineData("8080:80", 8080, 80, PublishProtocol.Tcp)]
    [InlineData("8080:80/tcp", 8080, 80, PublishProtocol.Tcp)]
    [InlineData("5353:53/udp", 5353, 53, PublishProtocol.Udp)]
    [InlineData("1:65535", 1, 65535, PublishProtocol.Tcp)]
    [InlineData("00443:443", 443, 443, PublishProtocol.Tcp)]
    public void Parse_AcceptedForms(string text, int host, int guest, PublishProtocol protocol)
    {
        Assert.Equal(new PortPublish(host, guest, protocol), PortPublish.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("8080")]
    [InlineData("8080:")]
    [InlineData(":80")]
    [InlineData("8080:80:90")]
    [InlineData("8080:80/sctp")]
    [InlineData("8080:80/UDP")]
    [InlineData("8080:80/")]
    [InlineData("-1:80")]
    [InlineData("+80:80")]
    [InlineData(" 80:80")]
    [InlineData("80:８0")] // full-width digit
    [InlineData("1.2.3.4:80:80")]
    [InlineData("8080:80;drop")]
    [InlineData("8080:80 } ; flush ruleset")] // would-be nft injection
    public void Parse_MalformedSpec_NamesTheAcceptedForm(string text)
    {
        Assert.False(PortPublish.TryParse(text, out _, out var problem));
        Assert.Contains("HOSTPORT:GUESTPORT[/tcp|/udp]", problem, StringComparison.Ordinal);
        var ex = Assert.Throws<FormationException>(() => PortPublish.Parse(text));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
    }

    [Theory]
    [InlineData("0:80")]
    [InlineData("80:0")]
    [InlineData("65536:80")]
    [InlineData("80:99999")]
    public void Parse_PortOutOfRange_SaysTheRange(string text)
    {
        Assert.False(PortPublish.TryParse(text, out _, out var problem));
        Assert.Contains("between 1 and 65535", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_VeryLongInput_IsRefusedAndNotEchoedWhole()
    {
        var text = new string('9', 10_000) + ":80";
        Assert.False(PortPublish.TryParse(text, out _, out var problem));
        Assert.True(problem.Length < 200, problem);
    }

    [Fact]
    public void CheckList_SameHostPortTwice_IsRefused_ButTcpAndUdpMayShareIt()
    {
        Assert.Null(PortPublish.CheckList([PortPublish.Parse("53:53"), PortPublish.Parse("53:53/udp")]));
        Assert.Contains("given twice", PortPublish.CheckList([PortPublish.Parse("80:80"), PortPublish.Parse("80:8080")]), StringComparison.Ordinal);
        Assert.Contains("at most", PortPublish.CheckList([.. Enumerable.Range(1, PortPublish.MaxPerVm + 1).Select(p => new PortPublish(p, 80))]), StringComparison.Ordinal);
    }

    [Fact]
    public void VmSpecRules_CheckThePublishList_EvenWhenItCameAroundTheParser()
    {
        // The HTTP API and grains get specs that were not parsed from text: the rules check the ports themselves.
        var spec = new VmSpec("web", 1, 128, 1, "img", null, Publish: [new PortPublish(0, 80)]);
        var problem = Assert.Single(VmSpecRules.Check(spec));
        Assert.Equal(VmSpecField.Publish, problem.Field);
        Assert.Contains("between 1 and 65535", problem.ForCli, StringComparison.Ordinal);
    }

    [Fact]
    public void VmSpec_WithoutTheNewFields_HasEgressAndNoPorts()
    {
        var spec = new VmSpec("web", 1, 128, 1, "img", null);
        Assert.False(spec.NoEgress);
        Assert.Empty(spec.Ports);
    }
}

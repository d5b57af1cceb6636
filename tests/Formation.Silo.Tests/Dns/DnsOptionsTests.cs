using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

public sealed class DnsOptionsTests
{
    [Fact]
    public void Defaults_HaveNoProblems_AndGiveGuestsTheGateway()
    {
        var options = new DnsOptions();

        Assert.Empty(options.Problems());
        Assert.Equal("10.77.3.1", options.GuestNameserver("10.77.3.1"));
    }

    [Fact]
    public void BadSettings_AreEachNamed()
    {
        var options = new DnsOptions { Zone = "Fog_Zone", Port = 70000, Listen = ["here"], Forwarders = ["10.0.0.1:x"], RateLimit = -1 };

        var problems = options.Problems().ToList();

        Assert.Contains(problems, p => p.Contains("Dns:Zone 'Fog_Zone'"));
        Assert.Contains(problems, p => p.Contains("Dns:Port 70000"));
        Assert.Contains(problems, p => p.Contains("Dns:Listen 'here'"));
        Assert.Contains(problems, p => p.Contains("Dns:Forwarders '10.0.0.1:x'"));
        Assert.Contains(problems, p => p.Contains("Dns:RateLimit"));
    }

    [Fact]
    public void OffOrOnAnotherPort_GuestsGetNoNameserver()
    {
        Assert.Null(new DnsOptions { Enabled = false }.GuestNameserver("10.77.3.1"));
        Assert.Null(new DnsOptions { Port = 5353 }.GuestNameserver("10.77.3.1"));
    }
}

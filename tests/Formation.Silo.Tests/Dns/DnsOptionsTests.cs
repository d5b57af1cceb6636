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

    [Fact]
    public void PublicListener_IsOffByDefault_AndTakesAnAddressWithAnOptionalPort()
    {
        Assert.Null(new DnsOptions().PublicEndpoint());
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.7"), 53), new DnsOptions { PublicListen = "192.0.2.7" }.PublicEndpoint());
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("2001:db8::7"), 5353), new DnsOptions { PublicListen = "[2001:db8::7]:5353" }.PublicEndpoint());
        Assert.Empty(new DnsOptions { PublicListen = "192.0.2.7:5353", PublicZone = "Example.com." }.Problems());
    }

    [Theory]
    [InlineData("192.0.2.7", null, "needs --dns-public-zone")]
    [InlineData(null, "example.com", "needs --dns-public ADDRESS")]
    [InlineData("here:53", "example.com", "is not ADDRESS[:PORT]")]
    [InlineData("0.0.0.0:53", "example.com", "wildcard")]
    [InlineData("192.0.2.7", "exa_mple.com", "is not a DNS name")]
    [InlineData("192.0.2.7", "fog", "overlaps the internal zone 'fog'")]
    [InlineData("192.0.2.7", "apps.fog", "overlaps the internal zone 'fog'")]
    [InlineData("127.0.0.1:53", "example.com", "also where the fog zone is served")]
    public void PublicListener_BadSettings_AreNamed(string? listen, string? zone, string problem)
    {
        var options = new DnsOptions { PublicListen = listen, PublicZone = zone, Listen = ["127.0.0.1"] };

        Assert.Contains(options.Problems(), p => p.Contains(problem));
    }
}

using System.Net;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

public sealed class DnsTableTests
{
    private static IReadOnlyList<ZoneRecord> A(string address) => DnsTable.Addresses([IPAddress.Parse(address)]);

    [Fact]
    public void TwoSources_OneName_AnswerHoldsBoth_AndEachReplacesOnlyItsOwn()
    {
        var table = new DnsTable();
        table.Replace("vms", new Dictionary<string, IReadOnlyList<ZoneRecord>> { ["web"] = A("10.77.1.2"), ["db"] = A("10.77.1.3") });
        table.Set("services", "Web", [new ServiceRecord(0, 0, 80, "web")]);

        Assert.Equal(2, table.Current.Get("web").Count);
        table.Replace("vms", new Dictionary<string, IReadOnlyList<ZoneRecord>> { ["db"] = A("10.77.1.3") });

        Assert.IsType<ServiceRecord>(Assert.Single(table.Current.Get("web")));
        Assert.Single(table.Current.Get("db"));
    }

    [Fact]
    public void EveryChange_NewVersion_AndNoChange_SameVersion()
    {
        var table = new DnsTable();
        var seen = new List<long>();
        table.Changed += s => seen.Add(s.Version);

        table.Set("vms", "web", A("10.77.1.2"));
        table.Set("vms", "web", A("10.77.1.2"));
        table.Set("vms", "web", []);

        Assert.Equal([1L, 2L], seen);
        Assert.False(table.Current.Exists("web"));
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("web..x")]
    [InlineData("-web")]
    [InlineData("wéb")]
    public void BadName_IsRefusedNamingIt(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new DnsTable().Set("vms", name, A("10.77.1.2")));
        Assert.Contains(name, error.Message);
    }
}

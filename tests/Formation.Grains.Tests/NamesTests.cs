namespace Formation.Grains.Tests;

public sealed class NamesTests
{
    [Theory]
    [InlineData("web-1", true)]
    [InlineData("a", true)]
    [InlineData("-web", false)]
    [InlineData("web-", false)]
    [InlineData("Web", false)]
    [InlineData("web_1", false)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    public void IsDnsLabel_Examples(string value, bool expected) => Assert.Equal(expected, Names.IsDnsLabel(value));

    [Fact]
    public void IsDnsLabel_64Characters_False() => Assert.False(Names.IsDnsLabel(new string('a', 64)));

    [Theory]
    [InlineData("MyHost.example.com", "myhost-example-com")]
    [InlineData("__", "node")]
    [InlineData("edge_01", "edge-01")]
    public void NodeIdFromHostName_MakesALabel(string host, string expected) => Assert.Equal(expected, Names.NodeIdFromHostName(host));
}

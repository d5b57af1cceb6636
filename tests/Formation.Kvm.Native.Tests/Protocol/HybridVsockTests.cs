using System.Text;

namespace Formation.Kvm.Native.Tests.Protocol;

/// <summary>The hybrid vsock handshake lines as both ends write and read them.</summary>
public sealed class HybridVsockTests
{
    [Theory]
    [InlineData(0u)]
    [InlineData(5252u)]
    [InlineData(uint.MaxValue)]
    public void Lines_RoundTrip(uint port)
    {
        var connect = HybridVsock.ConnectLine(port);
        Assert.Equal($"CONNECT {port}\n", Encoding.ASCII.GetString(connect));
        Assert.True(HybridVsock.TryParseConnect(connect.AsSpan(0, connect.Length - 1), out var parsed));
        Assert.Equal(port, parsed);
        var ok = HybridVsock.OkLine(port);
        Assert.True(HybridVsock.TryParseOk(ok.AsSpan(0, ok.Length - 1), out parsed));
        Assert.Equal(port, parsed);
        Assert.True(connect.Length <= HybridVsock.MaxLineBytes && ok.Length <= HybridVsock.MaxLineBytes);
    }

    [Theory]
    [InlineData("CONNECT 5252\r", true)]
    [InlineData("CONNECT ", false)]
    [InlineData("CONNECT -1", false)]
    [InlineData("CONNECT +5", false)]
    [InlineData("CONNECT 4294967296", false)]
    [InlineData("CONNECT 52 52", false)]
    [InlineData("connect 5252", false)]
    [InlineData("OK 5252", false)]
    public void TryParseConnect_AcceptsOnlyTheLine(string line, bool valid) =>
        Assert.Equal(valid, HybridVsock.TryParseConnect(Encoding.ASCII.GetBytes(line), out _));

    [Fact]
    public async Task ConnectAsync_NoSocket_SaysWhatToCheck()
    {
        var e = await Assert.ThrowsAsync<IOException>(() => HybridVsock.ConnectAsync("/nonexistent/vsock.sock", 5252, TestContext.Current.CancellationToken));
        Assert.Contains("cannot reach the VM's vsock socket /nonexistent/vsock.sock", e.Message);
    }
}

using Formation.P2p.Multistream;
using Formation.P2p.Tests.Support;

namespace Formation.P2p.Tests.Multistream;

public sealed class MultistreamSelectTests
{
    [Fact]
    public void Encode_MatchesTheWire()
    {
        Assert.Equal("132F6D756C746973747265616D2F312E302E300A", Convert.ToHexString(MultistreamSelect.Encode("/multistream/1.0.0")));
        Assert.Equal("072F6E6F6973650A", Convert.ToHexString(MultistreamSelect.Encode("/noise")));
    }

    [Fact]
    public async Task Select_FallsBackAfterNa_AndLeavesFollowingBytesInTheStream()
    {
        var (a, b) = DuplexPipe.Create();
        var listener = Task.Run(async () =>
        {
            var p = await MultistreamSelect.HandleAsync(b, ["/b"], default);
            var rest = new byte[3];
            await b.ReadExactlyAsync(rest);
            return (p, rest);
        });
        var chosen = await MultistreamSelect.SelectAsync(a, ["/a", "/b"], default);
        await a.WriteAsync("xyz"u8.ToArray());
        Assert.Equal("/b", chosen);
        var (protocol, bytes) = await listener;
        Assert.Equal("/b", protocol);
        Assert.Equal("xyz"u8.ToArray(), bytes);
    }

    [Fact]
    public async Task Select_NothingSupported_Throws()
    {
        var (a, b) = DuplexPipe.Create();
        var listener = Task.Run(async () => await MultistreamSelect.HandleAsync(b, ["/b"], default));
        await Assert.ThrowsAsync<ProtocolNotSupportedException>(() => MultistreamSelect.SelectAsync(a, ["/x", "/y"], default));
        a.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => listener);
    }

    [Fact]
    public async Task Handle_HeaderAndProposalInOneChunk_AndOversizedMessageRefused()
    {
        var oneChunk = new ScriptedStream([.. MultistreamSelect.Encode("/multistream/1.0.0"), .. MultistreamSelect.Encode("/p")]);
        Assert.Equal("/p", await MultistreamSelect.HandleAsync(oneChunk, ["/p"], default));

        var huge = new ScriptedStream([0x80, 0x10, .. new byte[2048]]);
        await Assert.ThrowsAsync<P2pProtocolException>(() => MultistreamSelect.HandleAsync(huge, ["/p"], default));
        var noNewline = new ScriptedStream([0x02, (byte)'/', (byte)'p']);
        await Assert.ThrowsAsync<P2pProtocolException>(() => MultistreamSelect.HandleAsync(noNewline, ["/p"], default));
    }
}

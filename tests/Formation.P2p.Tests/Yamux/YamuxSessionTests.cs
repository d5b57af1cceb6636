using Formation.P2p.Tests.Support;
using Formation.P2p.Yamux;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.P2p.Tests.Yamux;

public sealed class YamuxSessionTests
{
    private static (YamuxSession Client, YamuxSession Server) Pair(YamuxOptions? serverOptions = null)
    {
        var (a, b) = DuplexPipe.Create();
        var client = new YamuxSession(a, isClient: true, new YamuxOptions(), NullLogger.Instance);
        var server = new YamuxSession(b, isClient: false, serverOptions ?? new YamuxOptions(), NullLogger.Instance);
        client.Start();
        server.Start();
        return (client, server);
    }

    [Fact]
    public async Task Streams_CarryDataBeyondTheWindow_AndHalfClose()
    {
        var (client, server) = Pair();
        await using var _c = client;
        await using var _s = server;
        var stream = await client.OpenStreamAsync(default);
        Assert.Equal(1u, stream.Id);
        var payload = new byte[3 * YamuxOptions.InitialWindow + 17];
        Random.Shared.NextBytes(payload);
        var send = Task.Run(async () =>
        {
            await stream.WriteAsync(payload);
            await stream.CloseWriteAsync();
        });
        var accepted = await server.AcceptStreamAsync(default);
        var received = new MemoryStream();
        await accepted.CopyToAsync(received);
        await send;
        Assert.Equal(payload, received.ToArray());
        await accepted.WriteAsync("bye"u8.ToArray());
        await accepted.CloseWriteAsync();
        var reply = new MemoryStream();
        await stream.CopyToAsync(reply);
        Assert.Equal("bye"u8.ToArray(), reply.ToArray());
        Assert.True(await client.PingAsync(default) >= TimeSpan.Zero);
    }

    [Fact]
    public async Task DataPastTheWindow_ClosesTheSession()
    {
        // SYN then one data frame of 256 KiB + 1: more than the initial window.
        var frames = new List<byte>();
        frames.AddRange(Header(1, 1, 2, 0));
        frames.AddRange(Header(0, 0, 2, YamuxOptions.InitialWindow + 1));
        frames.AddRange(new byte[YamuxOptions.InitialWindow + 1]);
        var session = new YamuxSession(new ScriptedStream([.. frames]), isClient: true, new YamuxOptions(), NullLogger.Instance);
        session.Start();
        var error = await session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsType<P2pProtocolException>(error);
        Assert.Contains("window", error!.Message);
    }

    [Fact]
    public async Task StreamFlood_ClosesTheSession()
    {
        var options = new YamuxOptions { MaxInboundStreams = 4, MaxRefusedStreams = 8 };
        var frames = Enumerable.Range(1, 20).SelectMany(i => Header(1, 1, (uint)(2 * i), 0)).ToArray();
        var session = new YamuxSession(new ScriptedStream(frames), isClient: true, options, NullLogger.Instance);
        session.Start();
        var error = await session.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("stream flood", error!.Message);
    }

    [Fact]
    public async Task WrongParityAndWindowOverflow_CloseTheSession()
    {
        var wrongParity = new YamuxSession(new ScriptedStream(Header(1, 1, 3, 0)), isClient: true, new YamuxOptions(), NullLogger.Instance);
        wrongParity.Start();
        Assert.Contains("parity", (await wrongParity.Completion.WaitAsync(TimeSpan.FromSeconds(10)))!.Message);

        var overflow = new YamuxSession(new ScriptedStream([.. Header(1, 1, 2, 0), .. Header(1, 0, 2, uint.MaxValue)]), isClient: true, new YamuxOptions(), NullLogger.Instance);
        overflow.Start();
        Assert.Contains("window updates", (await overflow.Completion.WaitAsync(TimeSpan.FromSeconds(10)))!.Message);
    }

    [Fact]
    public async Task Ping_IsAnswered_AndCleanEofIsNoError()
    {
        var stream = new ScriptedStream(Header(2, 1, 0, 42));
        var session = new YamuxSession(stream, isClient: true, new YamuxOptions(), NullLogger.Instance);
        session.Start();
        Assert.Null(await session.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    internal static byte[] Header(byte type, ushort flags, uint stream, uint length)
    {
        var h = new byte[12];
        new YamuxFrame(type, flags, stream, length).Write(h);
        return h;
    }
}

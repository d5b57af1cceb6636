using Formation.P2p.Addressing;
using Formation.P2p.Encoding;
using Formation.P2p.Identify;
using Formation.P2p.Identity;
using Formation.P2p.Kad;
using Formation.P2p.Mdns;
using Formation.P2p.Multistream;
using Formation.P2p.Noise;
using Formation.P2p.Records;
using Formation.P2p.Tests.Support;
using Formation.P2p.Tests.Yamux;
using Formation.P2p.Yamux;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.P2p.Tests.Fuzz;

/// <summary>Every layer driven with 10,000 mutated inputs: only protocol errors may come out, never a crash or a hang.</summary>
public sealed class FuzzTests
{
    private static readonly Ed25519KeyPair Key = Ed25519KeyPair.FromSeed([.. new byte[31], 7]);

    [Fact]
    public void Harness_ReportsAnUnexpectedException()
    {
        // The harness itself can fail: a target that crashes on some inputs is caught.
        var e = Assert.Throws<Xunit.Sdk.XunitException>(() => FuzzHarness.Run("self-test", [[1, 2, 3]], input =>
        {
            if (input.Length != 3)
            {
                throw new InvalidOperationException("crash");
            }
        }, typeof(P2pProtocolException)));
        Assert.Contains("InvalidOperationException", e.Message);
    }

    [Fact]
    public void Varint_AndProtobufDecoders()
    {
        Assert.True(FuzzHarness.Run("varint", [Varint.Encode(300), Varint.Encode(ulong.MaxValue >> 1)], input => Varint.TryRead(input, out _, out _), typeof(P2pProtocolException)) > 0);

        var identify = new IdentifyMessage(Key.PublicKeyProto, [Multiaddr.Parse("/ip4/127.0.0.1/tcp/1")], ["/ipfs/id/1.0.0", "/ipfs/kad/1.0.0"],
            Multiaddr.Parse("/ip6/::1/tcp/2"), "ipfs/0.1.0", "x").Encode();
        FuzzHarness.Run("identify", [identify], input => IdentifyMessage.Decode(input), typeof(P2pProtocolException));

        var kad = new KadMessage(KadMessageType.GetProviders, [1, 2, 3], new KadRecord([1], [2], "t"),
            [new KadPeer(Key.PeerId, [Multiaddr.Parse("/ip4/1.2.3.4/tcp/5")])], [new KadPeer(Key.PeerId, [])]).Encode();
        FuzzHarness.Run("kad", [kad], input => KadMessage.Decode(input), typeof(P2pProtocolException));

        var payload = new NoiseHandshakePayload(Key.PublicKeyProto, new byte[64], ["/yamux/1.0.0"]).Encode();
        FuzzHarness.Run("noise-payload", [payload], input => NoiseHandshakePayload.Decode(input), typeof(P2pProtocolException));

        FuzzHarness.Run("public-key", [Key.PublicKeyProto], input => PublicKeyProto.DecodeEd25519(input), typeof(P2pProtocolException));
    }

    [Fact]
    public void MultiaddrAndPeerId()
    {
        var seeds = new[] { "/ip4/127.0.0.1/tcp/4001/p2p/" + Key.PeerId, "/ip6/::1/tcp/1", "/dns4/example.org/tcp/443/wss", "/ip4/1.1.1.1/udp/1/quic-v1" }
            .Select(s => Multiaddr.Parse(s).ToBytes()).ToArray();
        FuzzHarness.Run("multiaddr", seeds, input =>
        {
            if (Multiaddr.TryFromBytes(input, out var address, out _))
            {
                Assert.Equal(address, Multiaddr.Parse(address.ToString()));
            }
        });
        FuzzHarness.Run("peer-id", [Key.PeerId.ToBytes()], input => PeerId.TryFromBytes(input, out _));
    }

    [Fact]
    public void SignedNodeRecords()
    {
        var record = new NodeRecord(3, Key.PeerId, "c", "n", [Multiaddr.Parse("/ip4/1.2.3.4/tcp/5")], ["a:1"], ["b:2"], new byte[32], ["c:3"], new NodeCapacity(1, 2, 3), DateTimeOffset.UnixEpoch);
        var envelope = record.Seal(Key).Encode();
        var original = record.Encode();
        FuzzHarness.Run("node-record", [envelope], input =>
        {
            // Whatever a mutation does, an accepted record must carry exactly the signed payload.
            if (new NodeRecordBook("c").TryAccept(input, out _) && !SignedEnvelope.Decode(input).Payload.AsSpan().SequenceEqual(original))
            {
                throw new InvalidOperationException("a record with a changed payload was accepted");
            }
        });
    }

    [Fact]
    public void DnsMessages()
    {
        var query = new DnsMessage(0, [("_p2p._udp.local", DnsRecord.Ptr)], []).Encode();
        var response = new DnsMessage(DnsMessage.ResponseFlags, [], [new DnsRecord("_p2p._udp.local", DnsRecord.Ptr, 120, "x._p2p._udp.local", []),
            new DnsRecord("x._p2p._udp.local", DnsRecord.Txt, 120, null, ["dnsaddr=/ip4/127.0.0.1/tcp/1/p2p/" + Key.PeerId])]).Encode();
        FuzzHarness.Run("dns", [query, response], input => DnsMessage.Decode(input), typeof(P2pProtocolException));
    }

    [Fact]
    public async Task MultistreamListener()
    {
        byte[] seed = [.. MultistreamSelect.Encode(MultistreamSelect.Header), .. MultistreamSelect.Encode("/a"), .. MultistreamSelect.Encode("ls"), .. MultistreamSelect.Encode("/p")];
        await FuzzHarness.RunAsync("multistream", [seed], async input => await MultistreamSelect.HandleAsync(new ScriptedStream(input, chunk: 3), ["/p"], default),
            typeof(P2pProtocolException), typeof(EndOfStreamException));
    }

    [Fact]
    public async Task YamuxSession()
    {
        byte[] seed = [.. YamuxSessionTests.Header(1, 1, 2, 0), .. YamuxSessionTests.Header(0, 0, 2, 5), 1, 2, 3, 4, 5,
            .. YamuxSessionTests.Header(2, 1, 0, 9), .. YamuxSessionTests.Header(1, 0, 2, 100), .. YamuxSessionTests.Header(0, 4, 2, 0),
            .. YamuxSessionTests.Header(0, 3, 4, 1), 9, .. YamuxSessionTests.Header(1, 8, 4, 0), .. YamuxSessionTests.Header(3, 0, 0, 0)];
        var protocolErrors = 0;
        await FuzzHarness.RunAsync("yamux", [seed], async input =>
        {
            var session = new YamuxSession(new ScriptedStream(input, chunk: 7), isClient: true, new YamuxOptions(), NullLogger.Instance);
            session.Start();
            if (await session.Completion is P2pProtocolException)
            {
                protocolErrors++;
            }

            await session.DisposeAsync(); // rethrows anything unexpected from the read loop
        });
        Assert.True(protocolErrors > 0, "mutations must trip the session's checks");
    }

    [Fact]
    public async Task NoiseTransportFrames()
    {
        // A real session key pair, then mutated transport frames fed to the receiving side.
        var (a, b) = DuplexPipe.Create();
        var responder = NoiseHandshake.RunAsync(b, Ed25519KeyPair.Generate(), false, [], null, default);
        var initiator = await NoiseHandshake.RunAsync(a, Key, true, [], null, default);
        await responder;
        var capture = new MemoryStream();
        var sender = new NoiseStream(capture, [.. new byte[32]], [.. new byte[32]]);
        await sender.WriteAsync(new byte[100]);
        await sender.WriteAsync(new byte[70000]);
        _ = initiator;
        var frames = capture.ToArray();
        await FuzzHarness.RunAsync("noise-frames", [frames], async input =>
        {
            var receiver = new NoiseStream(new ScriptedStream(input, chunk: 1000), [.. new byte[32]], [.. new byte[32]]);
            var buffer = new byte[4096];
            while (await receiver.ReadAsync(buffer) > 0)
            {
            }
        }, typeof(P2pProtocolException));
    }
}

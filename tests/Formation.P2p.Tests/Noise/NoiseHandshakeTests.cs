using Formation.P2p.Identity;
using Formation.P2p.Noise;
using Formation.P2p.Tests.Support;

namespace Formation.P2p.Tests.Noise;

public sealed class NoiseHandshakeTests
{
    [Fact]
    public async Task Handshake_AuthenticatesBothSides_AndCarriesLargeWrites()
    {
        var (a, b) = DuplexPipe.Create();
        var alice = Ed25519KeyPair.Generate();
        var bob = Ed25519KeyPair.Generate();
        var responder = NoiseHandshake.RunAsync(b, bob, initiator: false, ["/yamux/1.0.0"], null, default);
        var initiator = await NoiseHandshake.RunAsync(a, alice, initiator: true, [], bob.PeerId, default);
        var r = await responder;
        Assert.Equal(bob.PeerId, initiator.RemotePeer);
        Assert.Equal(alice.PeerId, r.RemotePeer);
        Assert.Equal(["/yamux/1.0.0"], initiator.RemoteMuxers);
        Assert.Empty(r.RemoteMuxers);

        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);
        var write = initiator.Stream.WriteAsync(payload).AsTask();
        var received = new byte[payload.Length];
        await r.Stream.ReadExactlyAsync(received);
        await write;
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task Handshake_WrongExpectedPeer_Fails()
    {
        var (a, b) = DuplexPipe.Create();
        var responder = NoiseHandshake.RunAsync(b, Ed25519KeyPair.Generate(), false, [], null, default);
        var e = await Assert.ThrowsAsync<P2pProtocolException>(() => NoiseHandshake.RunAsync(a, Ed25519KeyPair.Generate(), true, [], Ed25519KeyPair.Generate().PeerId, default));
        Assert.Contains("dialled", e.Message);
        a.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => responder);
    }

    [Fact]
    public async Task Handshake_SignatureOverAnotherStaticKey_IsRefused()
    {
        // The initiator proves possession of a static key it does not use: the responder must refuse it.
        var (a, b) = DuplexPipe.Create();
        var responder = NoiseHandshake.RunAsync(b, Ed25519KeyPair.Generate(), false, [], null, default);
        var initiator = NoiseHandshake.RunAsync(a, Ed25519KeyPair.Generate(), true, [], null, signedStaticKey: new byte[32], default);
        var e = await Assert.ThrowsAsync<P2pProtocolException>(() => responder);
        Assert.Contains("signature", e.Message);
        // The initiator's side of XX ends with message 3, before the responder checks it.
        await initiator;
    }

    [Fact]
    public async Task Transport_TamperedFrame_FailsAuthentication()
    {
        var (a, b) = DuplexPipe.Create();
        var responder = NoiseHandshake.RunAsync(b, Ed25519KeyPair.Generate(), false, [], null, default);
        var initiator = await NoiseHandshake.RunAsync(a, Ed25519KeyPair.Generate(), true, [], null, default);
        var r = await responder;
        _ = initiator;
        // Hand-craft a frame with the right length but garbage ciphertext.
        byte[] frame = [0, 20, .. new byte[20]];
        await a.WriteAsync(frame);
        await Assert.ThrowsAsync<P2pProtocolException>(async () => await r.Stream.ReadExactlyAsync(new byte[4]));
    }
}

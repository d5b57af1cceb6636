using System.Buffers.Binary;
using Formation.P2p.Identity;

namespace Formation.P2p.Noise;

/// <summary>
/// The libp2p Noise handshake (<c>/noise</c>, noise/README.md): Noise_XX_25519_ChaChaPoly_SHA256 with an empty
/// prologue and a fresh X25519 static key per connection; the identity key signs
/// <c>"noise-libp2p-static-key:" || static key</c> in the payload, which authenticates the remote PeerId.
/// </summary>
public static class NoiseHandshake
{
    /// <summary>The protocol id negotiated with multistream-select.</summary>
    public const string ProtocolId = "/noise";

    private const int KeyLength = 32;
    private static readonly byte[] SignaturePrefix = "noise-libp2p-static-key:"u8.ToArray();

    /// <summary>
    /// Runs the handshake over <paramref name="transport"/> (initiator = the dialer) and returns the encrypted stream
    /// and the authenticated remote peer. Throws <see cref="P2pProtocolException"/> on any failure, including a bad
    /// identity signature or a remote PeerId other than <paramref name="expectedRemote"/>.
    /// </summary>
    public static Task<NoiseResult> RunAsync(
        Stream transport, Ed25519KeyPair identity, bool initiator, IReadOnlyList<string> localMuxers,
        PeerId? expectedRemote, CancellationToken cancellationToken) =>
        RunAsync(transport, identity, initiator, localMuxers, expectedRemote, signedStaticKey: null, cancellationToken);

    /// <summary>As above; tests pass <paramref name="signedStaticKey"/> to sign another key than the one used (an attack).</summary>
    internal static async Task<NoiseResult> RunAsync(
        Stream transport, Ed25519KeyPair identity, bool initiator, IReadOnlyList<string> localMuxers,
        PeerId? expectedRemote, byte[]? signedStaticKey, CancellationToken cancellationToken)
    {
        var staticPrivate = NewPrivateKey();
        var staticPublic = PublicKeyOf(staticPrivate);
        var ephemeralPrivate = NewPrivateKey();
        var ephemeralPublic = PublicKeyOf(ephemeralPrivate);
        var payload = new NoiseHandshakePayload(identity.PublicKeyProto, identity.Sign([.. SignaturePrefix, .. signedStaticKey ?? staticPublic]), localMuxers).Encode();

        using var state = new SymmetricState();
        state.MixHash([]); // empty prologue, still mixed in
        byte[] remoteStatic;
        NoiseHandshakePayload remotePayload;
        if (initiator)
        {
            // -> e
            state.MixHash(ephemeralPublic);
            await WriteFrameAsync(transport, [.. ephemeralPublic, .. state.EncryptAndHash([])], cancellationToken).ConfigureAwait(false);

            // <- e, ee, s, es
            var message = await ReadFrameAsync(transport, cancellationToken).ConfigureAwait(false);
            if (message.Length < KeyLength + KeyLength + 2 * CipherState.TagLength)
            {
                throw new P2pProtocolException($"noise message 2 is {message.Length} bytes, too short");
            }

            var remoteEphemeral = message[..KeyLength];
            state.MixHash(remoteEphemeral);
            state.MixKey(Dh(ephemeralPrivate, remoteEphemeral));
            remoteStatic = state.DecryptAndHash(message.AsSpan(KeyLength, KeyLength + CipherState.TagLength));
            state.MixKey(Dh(ephemeralPrivate, remoteStatic));
            remotePayload = NoiseHandshakePayload.Decode(state.DecryptAndHash(message.AsSpan(2 * KeyLength + CipherState.TagLength)));

            // Check the responder before revealing this node's identity in message 3.
            Authenticate(remotePayload, remoteStatic, expectedRemote);

            // -> s, se
            var encryptedStatic = state.EncryptAndHash(staticPublic);
            state.MixKey(Dh(staticPrivate, remoteEphemeral));
            await WriteFrameAsync(transport, [.. encryptedStatic, .. state.EncryptAndHash(payload)], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // -> e
            var message1 = await ReadFrameAsync(transport, cancellationToken).ConfigureAwait(false);
            if (message1.Length < KeyLength)
            {
                throw new P2pProtocolException($"noise message 1 is {message1.Length} bytes, too short");
            }

            var remoteEphemeral = message1[..KeyLength];
            state.MixHash(remoteEphemeral);
            state.DecryptAndHash(message1.AsSpan(KeyLength));

            // <- e, ee, s, es
            state.MixHash(ephemeralPublic);
            state.MixKey(Dh(ephemeralPrivate, remoteEphemeral));
            var encryptedStatic = state.EncryptAndHash(staticPublic);
            state.MixKey(Dh(staticPrivate, remoteEphemeral));
            await WriteFrameAsync(transport, [.. ephemeralPublic, .. encryptedStatic, .. state.EncryptAndHash(payload)], cancellationToken).ConfigureAwait(false);

            // -> s, se
            var message3 = await ReadFrameAsync(transport, cancellationToken).ConfigureAwait(false);
            if (message3.Length < KeyLength + 2 * CipherState.TagLength)
            {
                throw new P2pProtocolException($"noise message 3 is {message3.Length} bytes, too short");
            }

            remoteStatic = state.DecryptAndHash(message3.AsSpan(0, KeyLength + CipherState.TagLength));
            state.MixKey(Dh(ephemeralPrivate, remoteStatic));
            remotePayload = NoiseHandshakePayload.Decode(state.DecryptAndHash(message3.AsSpan(KeyLength + CipherState.TagLength)));
        }

        var remotePeer = Authenticate(remotePayload, remoteStatic, expectedRemote);
        var (first, second) = state.Split();
        var stream = new NoiseStream(transport, initiator ? first : second, initiator ? second : first);
        return new NoiseResult(stream, remotePeer, remotePayload.StreamMuxers);
    }

    private static PeerId Authenticate(NoiseHandshakePayload payload, byte[] remoteStatic, PeerId? expectedRemote)
    {
        var identityKey = PublicKeyProto.DecodeEd25519(payload.IdentityKey);
        if (!Ed25519.Verify(identityKey, [.. SignaturePrefix, .. remoteStatic], payload.IdentitySignature))
        {
            throw new P2pProtocolException("noise handshake: the identity signature over the static key is invalid");
        }

        var peer = PeerId.FromPublicKeyProto(payload.IdentityKey);
        if (expectedRemote is not null && peer != expectedRemote)
        {
            throw new P2pProtocolException($"noise handshake: dialled {expectedRemote} but the peer is {peer}");
        }

        return peer;
    }

    private static byte[] NewPrivateKey()
    {
        var key = new byte[KeyLength];
        Org.BouncyCastle.Math.EC.Rfc7748.X25519.GeneratePrivateKey(new Org.BouncyCastle.Security.SecureRandom(), key);
        return key;
    }

    private static byte[] PublicKeyOf(byte[] privateKey)
    {
        var key = new byte[KeyLength];
        Org.BouncyCastle.Math.EC.Rfc7748.X25519.GeneratePublicKey(privateKey, 0, key, 0);
        return key;
    }

    private static byte[] Dh(byte[] privateKey, byte[] publicKey)
    {
        var shared = new byte[KeyLength];
        if (!Org.BouncyCastle.Math.EC.Rfc7748.X25519.CalculateAgreement(privateKey, 0, publicKey, 0, shared, 0))
        {
            throw new P2pProtocolException("noise handshake: the peer sent a low-order X25519 key");
        }

        return shared;
    }

    private static async Task WriteFrameAsync(Stream transport, byte[] message, CancellationToken cancellationToken)
    {
        var frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, checked((ushort)message.Length));
        message.CopyTo(frame, 2);
        await transport.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadFrameAsync(Stream transport, CancellationToken cancellationToken)
    {
        try
        {
            var header = new byte[2];
            await transport.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
            var message = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
            await transport.ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
            return message;
        }
        catch (EndOfStreamException e)
        {
            throw new P2pProtocolException("the peer closed the connection during the noise handshake", e);
        }
    }
}

using System.Security.Cryptography;

namespace Formation.P2p.Noise;

/// <summary>Noise SymmetricState (chaining key, handshake hash, CipherState) for Noise_XX_25519_ChaChaPoly_SHA256.</summary>
internal sealed class SymmetricState : IDisposable
{
    /// <summary>The protocol name is exactly 32 bytes, so it is the initial hash as is (not hashed).</summary>
    private static readonly byte[] ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256"u8.ToArray();

    private readonly CipherState _cipher = new();
    private byte[] _ck;
    private byte[] _h;

    public SymmetricState()
    {
        _h = (byte[])ProtocolName.Clone();
        _ck = (byte[])ProtocolName.Clone();
    }

    public void MixHash(ReadOnlySpan<byte> data)
    {
        var hash = new byte[32];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(_h);
        sha.AppendData(data);
        sha.GetHashAndReset(hash);
        _h = hash;
    }

    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        var (ck, k) = Hkdf(inputKeyMaterial);
        _ck = ck;
        _cipher.InitializeKey(k);
    }

    /// <summary>Encrypts (or copies, before the first MixKey) with the hash as associated data, then hashes the result.</summary>
    public byte[] EncryptAndHash(ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[plaintext.Length + (_cipher.HasKey ? CipherState.TagLength : 0)];
        _cipher.EncryptWithAd(_h, plaintext, output);
        MixHash(output);
        return output;
    }

    public byte[] DecryptAndHash(ReadOnlySpan<byte> ciphertext)
    {
        var output = new byte[Math.Max(0, ciphertext.Length - (_cipher.HasKey ? CipherState.TagLength : 0))];
        _cipher.DecryptWithAd(_h, ciphertext, output);
        MixHash(ciphertext);
        return output;
    }

    /// <summary>The two transport keys: initiator→responder first, responder→initiator second.</summary>
    public (byte[] First, byte[] Second) Split() => Hkdf([]);

    public void Dispose() => _cipher.Dispose();

    /// <summary>
    /// Noise's HKDF with two outputs (= RFC 5869 with salt ck, empty info, 64 bytes). Written with HMAC directly:
    /// OpenSSL's HKDF refuses the empty input key material of Split().
    /// </summary>
    private (byte[], byte[]) Hkdf(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> prk = stackalloc byte[32];
        HMACSHA256.HashData(_ck, inputKeyMaterial, prk);
        var first = HMACSHA256.HashData(prk, [0x01]);
        var second = HMACSHA256.HashData(prk, [.. first, 0x02]);
        return (first, second);
    }
}

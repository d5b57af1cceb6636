using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Formation.P2p.Noise;

/// <summary>
/// Noise CipherState for ChaChaPoly: a key and a 64-bit counter. Nonce = 4 zero bytes || counter little-endian.
/// </summary>
internal sealed class CipherState : IDisposable
{
    public const int TagLength = 16;
    private ChaCha20Poly1305? _aead;
    private ulong _nonce;

    public bool HasKey => _aead is not null;

    public void InitializeKey(ReadOnlySpan<byte> key)
    {
        _aead?.Dispose();
        _aead = new ChaCha20Poly1305(key);
        _nonce = 0;
    }

    /// <summary>Writes ciphertext || tag into <paramref name="output"/> (plaintext.Length + 16 bytes), or the plaintext without a key.</summary>
    public int EncryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        if (_aead is null)
        {
            plaintext.CopyTo(output);
            return plaintext.Length;
        }

        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        _aead.Encrypt(nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, TagLength), ad);
        return plaintext.Length + TagLength;
    }

    /// <summary>Decrypts ciphertext || tag into <paramref name="output"/>; throws <see cref="P2pProtocolException"/> on a bad tag.</summary>
    public int DecryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> output)
    {
        if (_aead is null)
        {
            ciphertext.CopyTo(output);
            return ciphertext.Length;
        }

        if (ciphertext.Length < TagLength)
        {
            throw new P2pProtocolException("noise message shorter than its authentication tag");
        }

        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        var length = ciphertext.Length - TagLength;
        try
        {
            _aead.Decrypt(nonce, ciphertext[..length], ciphertext[length..], output[..length], ad);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new P2pProtocolException("noise message failed authentication", e);
        }

        return length;
    }

    public void Dispose() => _aead?.Dispose();

    private void NextNonce(Span<byte> nonce)
    {
        if (_nonce == ulong.MaxValue)
        {
            throw new P2pProtocolException("noise nonce exhausted");
        }

        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], _nonce++);
    }
}

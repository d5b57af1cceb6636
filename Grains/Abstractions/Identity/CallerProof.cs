using System.Buffers.Binary;
using System.Text;

namespace Formation.Identity;

/// <summary>
/// What a request carries to prove who sends it (request context key <see cref="Key"/>): the sender's certificate, the
/// moment the proof was made and an ECDSA signature by the certificate's key over both. Orleans' gateway does not bind a
/// message to the TLS connection it came on, so the proof travels with each request. A node's proof may name the caller
/// it acts for (<see cref="OnBehalfOf"/>); an account's may not. Signed once a minute and reused, verified once per
/// signature by each silo: a call costs a dictionary lookup, not an ECDSA operation.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.caller-proof")]
public sealed record CallerProof(
    [property: Id(0)] byte[] Certificate,
    [property: Id(1)] long IssuedAtMs,
    [property: Id(2)] Caller? OnBehalfOf,
    [property: Id(3)] byte[] Signature)
{
    public const string Key = "formation.proof";

    /// <summary>The proof of the current request, if any.</summary>
    public static CallerProof? Current => RequestContext.Get(Key) as CallerProof;

    /// <summary>The bytes the signature covers: a fixed label, the time, the caller acted for (if any), the certificate.</summary>
    public static byte[] SignedBytes(byte[] certificate, long issuedAtMs, Caller? onBehalfOf)
    {
        var label = "formation-proof/1\n"u8;
        var account = onBehalfOf is null ? [] : Encoding.UTF8.GetBytes(onBehalfOf.Account);
        var bytes = new byte[label.Length + 8 + 1 + 1 + 4 + account.Length + certificate.Length];
        var at = 0;
        label.CopyTo(bytes);
        at += label.Length;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at), issuedAtMs);
        at += 8;
        bytes[at++] = onBehalfOf is null ? (byte)0 : (byte)1;
        bytes[at++] = onBehalfOf is { IsAdmin: true } ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), account.Length);
        at += 4;
        account.CopyTo(bytes, at);
        at += account.Length;
        certificate.CopyTo(bytes, at);
        return bytes;
    }
}

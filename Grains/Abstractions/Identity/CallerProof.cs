using System.Buffers.Binary;
using System.Text;
using Formation.Errors;

namespace Formation.Identity;

/// <summary>
/// What a request carries to prove who sends it (request context key <see cref="Key"/>): the SHA-256 fingerprint of the
/// sender's certificate, the moment the proof was made and an ECDSA signature by the certificate's key over both. Orleans'
/// gateway does not bind a message to the TLS connection it came on, so the proof travels with each request. The
/// certificate itself (<see cref="Certificate"/>, ~500 bytes) travels only when the silo asks for it
/// (<see cref="CertificateNeeded"/>): a silo remembers the certificates it verified, so a call carries ~120 bytes of proof,
/// and one that reaches a silo that has not seen the certificate (just restarted, another gateway) is refused once and
/// sent again with it. A node's proof may name the caller it acts for (<see cref="OnBehalfOf"/>); an account's may not.
/// Signed once a minute and reused, verified once per signature by each silo: a call costs a dictionary lookup, not an
/// ECDSA operation.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.caller-proof")]
public sealed record CallerProof(
    [property: Id(0)] byte[]? Certificate,
    [property: Id(1)] long IssuedAtMs,
    [property: Id(2)] Caller? OnBehalfOf,
    [property: Id(3)] byte[] Signature,
    [property: Id(4)] byte[] Fingerprint)
{
    public const string Key = "formation.proof";

    /// <summary>
    /// How a silo's refusal asking for the certificate begins (kind <see cref="ErrorKind.Unauthenticated"/>): the sender's
    /// call filter sends the call once more with <see cref="Certificate"/>; nothing ran on the silo.
    /// </summary>
    public const string CertificateNeeded = "this silo does not know the certificate of the request's proof yet";

    /// <summary>The proof of the current request, if any.</summary>
    public static CallerProof? Current => RequestContext.Get(Key) as CallerProof;

    /// <summary>True when <paramref name="error"/> is a silo asking for the proof again with its certificate.</summary>
    public static bool AsksForCertificate(Exception? error) =>
        error is FormationException { Kind: ErrorKind.Unauthenticated } e && e.Message.StartsWith(CertificateNeeded, StringComparison.Ordinal);

    /// <summary>The bytes the signature covers: a fixed label, the time, the caller acted for (if any), the certificate's fingerprint.</summary>
    public static byte[] SignedBytes(byte[] fingerprint, long issuedAtMs, Caller? onBehalfOf)
    {
        var label = "formation-proof/2\n"u8;
        var account = onBehalfOf is null ? [] : Encoding.UTF8.GetBytes(onBehalfOf.Account);
        var bytes = new byte[label.Length + 8 + 1 + 1 + 4 + account.Length + fingerprint.Length];
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
        fingerprint.CopyTo(bytes, at);
        return bytes;
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Formation.Identity;

/// <summary>
/// Makes <see cref="CallerProof"/>s with a credential's key and reuses each for <see cref="Reuse"/>, so a client (or a
/// silo acting for a caller) signs about once a minute per caller, not once per call. Silos accept a proof for
/// <see cref="MaxAge"/>, which leaves room for clock skew and long calls. Proofs carry the certificate's fingerprint;
/// <see cref="WithCertificate"/> adds the certificate for a silo that asks for it (<see cref="CallerProof.CertificateNeeded"/>).
/// </summary>
public sealed class ProofSigner : IDisposable
{
    /// <summary>How long a signed proof is reused before a fresh one is made.</summary>
    public static readonly TimeSpan Reuse = TimeSpan.FromMinutes(1);

    /// <summary>How old a proof a silo still accepts.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private static readonly Caller Self = new("", false);
    private readonly byte[] _certificate;
    private readonly byte[] _fingerprint;
    private readonly ECDsa _key;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Caller, CallerProof> _proofs = new();

    public ProofSigner(ClusterCredential credential, TimeProvider? time = null)
    {
        _certificate = credential.Certificate.RawData;
        _fingerprint = SHA256.HashData(_certificate);
        _key = credential.Certificate.GetECDsaPrivateKey() ?? throw new CredentialException("the credential's key is not an ECDSA key.");
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A proof for the credential's own holder, or (nodes only) for the caller it acts for.</summary>
    public CallerProof Sign(Caller? onBehalfOf = null)
    {
        var slot = onBehalfOf ?? Self;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_proofs.TryGetValue(slot, out var proof) && now - proof.IssuedAtMs < Reuse.TotalMilliseconds && proof.IssuedAtMs <= now)
        {
            return proof;
        }

        if (_proofs.Count > 1024)
        {
            _proofs.Clear(); // one slot per distinct caller acted for; bounded all the same
        }

        var fresh = Create(_certificate, now, onBehalfOf, _key) with { Certificate = null };
        _proofs[slot] = fresh;
        return fresh;
    }

    /// <summary>The same proof with this credential's certificate, for a silo that does not know it yet.</summary>
    public CallerProof WithCertificate(CallerProof proof) => proof with { Certificate = _certificate };

    /// <summary>Makes one proof, with the certificate (also used by tests to make stale or tampered ones).</summary>
    public static CallerProof Create(byte[] certificate, long issuedAtMs, Caller? onBehalfOf, ECDsa key)
    {
        var fingerprint = SHA256.HashData(certificate);
        return new(certificate, issuedAtMs, onBehalfOf, key.SignData(CallerProof.SignedBytes(fingerprint, issuedAtMs, onBehalfOf), HashAlgorithmName.SHA256), fingerprint);
    }

    public void Dispose() => _key.Dispose();
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Errors;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// Turns a request's <see cref="CallerProof"/> into its <see cref="Caller"/>, or refuses it (Unauthenticated, saying what
/// to do). The costly parts are done once and remembered (both bounded): per certificate, that it chains to the pinned
/// cluster CA and names a node or an account (remembered by fingerprint, so proofs need not carry the certificate); per
/// signature, that it is the certificate key's. What changes with time is checked on every call: the proof's age, the
/// certificate's expiry, revocation and whether the account still exists. A proof whose certificate this silo has not
/// seen is refused with <see cref="CallerProof.CertificateNeeded"/>, and the sender sends it again with the certificate.
/// </summary>
public sealed class ProofVerifier(X509Certificate2 ca, AccountDirectory accounts, TimeProvider time)
{
    /// <summary>How far in the future a proof's time may be (clock skew between client and silo).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(2);

    /// <summary>Remembered verifications; past this many the memory starts over (clients reuse a proof a minute, so it refills fast).</summary>
    public const int CacheSize = 4096;

    private const string WhatToDo = "use a credential of this cluster: --credential FILE, FORMATION_CREDENTIAL, or `form login --credential FILE`";
    private readonly ConcurrentDictionary<string, Verified> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Known> _known = new(StringComparer.Ordinal);

    /// <summary>How many proofs were verified with ECDSA (not from memory); for tests and benchmarks.</summary>
    public long FullVerifications => Interlocked.Read(ref _full);

    /// <summary>How many certificates were checked against the CA (not from memory); for tests and benchmarks.</summary>
    public long CertificatesChecked => Interlocked.Read(ref _checked);

    private long _full;
    private long _checked;

    /// <summary>The proven caller, or a <see cref="FormationException"/> of kind Unauthenticated.</summary>
    public ValueTask<Caller> VerifyAsync(CallerProof? proof) => VerifyAsync(proof, out _);

    /// <summary>
    /// The proven caller, and in <paramref name="viaNode"/> whether the proof is signed by a node's certificate
    /// (<c>OU=node</c>), which only the cluster's silos hold: what may call a <see cref="NodeOnlyAttribute"/> method.
    /// </summary>
    public ValueTask<Caller> VerifyAsync(CallerProof? proof, out bool viaNode)
    {
        viaNode = false;
        if (proof is null)
        {
            throw Refuse($"this request carries no proof of who sends it: {WhatToDo}");
        }

        var key = Convert.ToBase64String(proof.Signature);
        if (!_verified.TryGetValue(key, out var verified) || !verified.Matches(proof))
        {
            verified = VerifyOnce(proof);
            Remember(_verified, key, verified);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - proof.IssuedAtMs > ProofSigner.MaxAge.TotalMilliseconds)
        {
            throw Refuse($"the request's proof is stale (made {TimeSpan.FromMilliseconds(now - proof.IssuedAtMs).TotalSeconds:0} s ago; " +
                $"at most {ProofSigner.MaxAge.TotalSeconds:0} s are accepted): check this machine's clock and run the command again.");
        }

        if (proof.IssuedAtMs - now > MaxSkew.TotalMilliseconds)
        {
            throw Refuse("the request's proof is dated in the future: this machine's clock is ahead of the silo's; set it right and run the command again.");
        }

        var holder = verified.Holder;
        if (now > holder.NotAfterMs)
        {
            throw Refuse($"the credential of '{holder.Name}' expired on {DateTimeOffset.FromUnixTimeMilliseconds(holder.NotAfterMs):yyyy-MM-dd}: ask an admin for a new one.");
        }

        if (accounts.IsRevoked(holder.Serial))
        {
            throw Refuse($"the credential of '{holder.Name}' (serial {holder.Serial}) was revoked: ask an admin for a new one, then `form login --credential FILE`.");
        }

        viaNode = holder.IsNode;
        return holder.IsNode ? ValueTask.FromResult(proof.OnBehalfOf ?? Caller.System) : accounts.CallerForAsync(holder.Name);
    }

    private Verified VerifyOnce(CallerProof proof)
    {
        if (proof.Fingerprint is not { Length: SHA256.HashSizeInBytes })
        {
            throw Refuse($"the request's proof names no certificate: {WhatToDo}");
        }

        var fingerprint = Convert.ToHexStringLower(proof.Fingerprint);
        if (!_known.TryGetValue(fingerprint, out var holder))
        {
            holder = proof.Certificate is { } certificate
                ? Learn(certificate, proof.Fingerprint)
                : throw Refuse($"{CallerProof.CertificateNeeded}: send it again with the certificate.");
            Remember(_known, fingerprint, holder);
        }
        else if (proof.Certificate is { } certificate && !SHA256.HashData(certificate).AsSpan().SequenceEqual(proof.Fingerprint))
        {
            throw Refuse($"the request's proof carries a certificate other than the one it names (tampered with?): {WhatToDo}");
        }

        if (!holder.IsNode && proof.OnBehalfOf is not null)
        {
            throw Refuse($"account '{holder.Name}' may not act on behalf of another caller; only the cluster's nodes do.");
        }

        Interlocked.Increment(ref _full);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(holder.PublicKey, out _);
        if (!key.VerifyData(CallerProof.SignedBytes(proof.Fingerprint, proof.IssuedAtMs, proof.OnBehalfOf), proof.Signature, HashAlgorithmName.SHA256))
        {
            throw Refuse($"the request's proof is not signed by its certificate's key (tampered with?): {WhatToDo}");
        }

        return new Verified(proof.Fingerprint, proof.IssuedAtMs, proof.OnBehalfOf, holder);
    }

    /// <summary>Checks a certificate once: it is the one the proof names, the pinned CA issued it, and it is a node's or an account's.</summary>
    private Known Learn(byte[] raw, byte[] fingerprint)
    {
        Interlocked.Increment(ref _checked);
        if (!SHA256.HashData(raw).AsSpan().SequenceEqual(fingerprint))
        {
            throw Refuse($"the request's proof carries a certificate other than the one it names (tampered with?): {WhatToDo}");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(raw);
        }
        catch (CryptographicException)
        {
            throw Refuse($"the request's proof holds no readable certificate: {WhatToDo}");
        }

        using (certificate)
        {
            if (!CaPin.IsIssuedBy(certificate, ca))
            {
                throw Refuse($"the request's credential ('{certificate.GetNameInfo(X509NameType.SimpleName, false)}') was not issued by this cluster's CA: {WhatToDo}");
            }

            using var key = certificate.GetECDsaPublicKey()
                ?? throw Refuse($"the request's credential has no ECDSA key: {WhatToDo}");
            var unit = OrganizationalUnit(certificate);
            var name = certificate.GetNameInfo(X509NameType.SimpleName, false);
            var isNode = unit == ClusterAuthority.NodeUnit;
            if (!isNode && unit != ClusterAuthority.ClientUnit)
            {
                throw Refuse($"the credential '{name}' is neither a node's nor an account's: {WhatToDo}");
            }

            if (!isNode && name == Caller.System.Account)
            {
                throw Refuse($"no account may be named '{name}': {WhatToDo}");
            }

            return new Known(isNode, name, certificate.SerialNumber,
                new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeMilliseconds(), key.ExportSubjectPublicKeyInfo());
        }
    }

    private static void Remember<T>(ConcurrentDictionary<string, T> memory, string key, T value)
    {
        if (memory.Count >= CacheSize)
        {
            memory.Clear();
        }

        memory[key] = value;
    }

    /// <summary>The OU the cluster CA wrote into the subject (<see cref="ClusterAuthority.NodeUnit"/> or <see cref="ClusterAuthority.ClientUnit"/>).</summary>
    public static string? OrganizationalUnit(X509Certificate2 certificate) =>
        certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.11")?.GetSingleElementValue();

    private static FormationException Refuse(string message) => new(ErrorKind.Unauthenticated, message);

    /// <summary>A certificate that chains to the CA: who holds it and what is checked on every call.</summary>
    private sealed record Known(bool IsNode, string Name, string Serial, long NotAfterMs, byte[] PublicKey);

    private sealed record Verified(byte[] Fingerprint, long IssuedAtMs, Caller? OnBehalfOf, Known Holder)
    {
        public bool Matches(CallerProof proof) =>
            proof.IssuedAtMs == IssuedAtMs && Equals(proof.OnBehalfOf, OnBehalfOf) && proof.Fingerprint.AsSpan().SequenceEqual(Fingerprint)
            && (proof.Certificate is null || SHA256.HashData(proof.Certificate).AsSpan().SequenceEqual(Fingerprint));
    }
}

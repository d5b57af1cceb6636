using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Errors;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// Turns a request's <see cref="CallerProof"/> into its <see cref="Caller"/>, or refuses it (Unauthenticated, saying what
/// to do). The costly part — the certificate chains to the pinned cluster CA and the signature is the certificate key's —
/// is done once per signature and remembered (bounded); what changes with time is checked on every call: the proof's age,
/// the certificate's expiry, revocation and whether the account still exists.
/// </summary>
public sealed class ProofVerifier(X509Certificate2 ca, AccountDirectory accounts, TimeProvider time)
{
    /// <summary>How far in the future a proof's time may be (clock skew between client and silo).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(2);

    /// <summary>Remembered verifications; past this many the memory starts over (clients reuse a proof a minute, so it refills fast).</summary>
    public const int CacheSize = 4096;

    private const string WhatToDo = "use a credential of this cluster: --credential FILE, FORMATION_CREDENTIAL, or `form login --credential FILE`";
    private readonly ConcurrentDictionary<string, Verified> _verified = new(StringComparer.Ordinal);

    /// <summary>How many proofs were verified with ECDSA (not from memory); for tests and benchmarks.</summary>
    public long FullVerifications => Interlocked.Read(ref _full);

    private long _full;

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
            if (_verified.Count >= CacheSize)
            {
                _verified.Clear();
            }

            _verified[key] = verified;
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

        if (now > verified.NotAfterMs)
        {
            throw Refuse($"the credential of '{verified.Name}' expired on {DateTimeOffset.FromUnixTimeMilliseconds(verified.NotAfterMs):yyyy-MM-dd}: ask an admin for a new one.");
        }

        if (accounts.IsRevoked(verified.Serial))
        {
            throw Refuse($"the credential of '{verified.Name}' (serial {verified.Serial}) was revoked: ask an admin for a new one, then `form login --credential FILE`.");
        }

        viaNode = verified.IsNode;
        return verified.IsNode ? ValueTask.FromResult(proof.OnBehalfOf ?? Caller.System) : accounts.CallerForAsync(verified.Name);
    }

    private Verified VerifyOnce(CallerProof proof)
    {
        Interlocked.Increment(ref _full);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(proof.Certificate);
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

            using var key = certificate.GetECDsaPublicKey();
            if (key is null || !key.VerifyData(CallerProof.SignedBytes(proof.Certificate, proof.IssuedAtMs, proof.OnBehalfOf), proof.Signature, HashAlgorithmName.SHA256))
            {
                throw Refuse($"the request's proof is not signed by its certificate's key (tampered with?): {WhatToDo}");
            }

            var unit = OrganizationalUnit(certificate);
            var name = certificate.GetNameInfo(X509NameType.SimpleName, false);
            var isNode = unit == ClusterAuthority.NodeUnit;
            if (!isNode && unit != ClusterAuthority.ClientUnit)
            {
                throw Refuse($"the credential '{name}' is neither a node's nor an account's: {WhatToDo}");
            }

            if (!isNode && proof.OnBehalfOf is not null)
            {
                throw Refuse($"account '{name}' may not act on behalf of another caller; only the cluster's nodes do.");
            }

            if (!isNode && name == Caller.System.Account)
            {
                throw Refuse($"no account may be named '{name}': {WhatToDo}");
            }

            return new Verified(proof.Certificate, proof.IssuedAtMs, proof.OnBehalfOf, isNode, name, certificate.SerialNumber,
                new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeMilliseconds());
        }
    }

    /// <summary>The OU the cluster CA wrote into the subject (<see cref="ClusterAuthority.NodeUnit"/> or <see cref="ClusterAuthority.ClientUnit"/>).</summary>
    public static string? OrganizationalUnit(X509Certificate2 certificate) =>
        certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(r => r.GetSingleElementType().Value == "2.5.4.11")?.GetSingleElementValue();

    private static FormationException Refuse(string message) => new(ErrorKind.Unauthenticated, message);

    private sealed record Verified(byte[] Certificate, long IssuedAtMs, Caller? OnBehalfOf, bool IsNode, string Name, string Serial, long NotAfterMs)
    {
        public bool Matches(CallerProof proof) =>
            proof.IssuedAtMs == IssuedAtMs && Equals(proof.OnBehalfOf, OnBehalfOf) && proof.Certificate.AsSpan().SequenceEqual(Certificate);
    }
}

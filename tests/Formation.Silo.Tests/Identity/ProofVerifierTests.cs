using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Errors;
using Formation.Identity;
using Formation.Silo.Identity;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// The proof every request carries and the silo's check of it: a valid proof names its account; a tampered signature,
/// a stale or future timestamp, another CA, a revoked serial, a deleted account and an account acting "on behalf of"
/// are refused as Unauthenticated; only a node's proof may name another caller. Verification is remembered per signature,
/// certificates per fingerprint: a proof without its certificate is asked for it once, then checked like any other.
/// </summary>
public sealed class ProofVerifierTests(ITestOutputHelper output) : IDisposable
{
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private readonly ClusterAuthority _ca = ClusterAuthority.Create("formation", DateTimeOffset.UtcNow);
    private readonly AccountDirectory _accounts = new();

    [Fact]
    public async Task AccountProof_IsThatAccount_WithItsRoleFromTheRegistry()
    {
        var verifier = Verifier(("bob", false), ("carol", true));
        Assert.Equal(new Caller("bob", false), await verifier.VerifyAsync(Sign(Issue("bob"))));
        Assert.Equal(new Caller("carol", true), await verifier.VerifyAsync(Sign(Issue("carol"))));
        Assert.Equal(Caller.Admin, await verifier.VerifyAsync(Sign(Issue(Caller.AdminAccount))));
    }

    [Fact]
    public async Task NodeProof_ActsForTheCallerItNames_OrForSystem()
    {
        var verifier = Verifier();
        using var node = _ca.IssueCredential("node-a", ClusterAuthority.NodeUnit, [], _clock.GetUtcNow());
        Assert.Equal(new Caller("bob", false), await verifier.VerifyAsync(Sign(node, new Caller("bob", false))));
        Assert.Equal(Caller.System, await verifier.VerifyAsync(Sign(node)));
    }

    [Fact]
    public async Task ViaNode_IsTrueOnlyForANodeCertificate_AdminAccountsAndRememberedProofsIncluded()
    {
        var verifier = Verifier(("bob", false));
        using var node = _ca.IssueCredential("node-a", ClusterAuthority.NodeUnit, [], _clock.GetUtcNow());
        var nodeProof = Sign(node, Caller.Admin);
        var adminProof = Sign(Issue(Caller.AdminAccount));
        for (var round = 0; round < 2; round++) // the second round answers from memory
        {
            Assert.Equal(Caller.Admin, await verifier.VerifyAsync(nodeProof, out var viaNode));
            Assert.True(viaNode);
            Assert.Equal(Caller.Admin, await verifier.VerifyAsync(adminProof, out var adminViaNode));
            Assert.False(adminViaNode);
        }

        Assert.Equal(new Caller("bob", false), await verifier.VerifyAsync(Sign(Issue("bob")), out var bobViaNode));
        Assert.False(bobViaNode);
    }

    [Fact]
    public async Task AccountProof_OnBehalfOfAnother_IsRefused()
    {
        var verifier = Verifier(("bob", false));
        await RefusedAsync(verifier, Sign(Issue("bob"), Caller.Admin), "only the cluster's nodes");
    }

    [Fact]
    public async Task MissingProof_IsRefused_SayingWhatToDo()
    {
        var ex = await Assert.ThrowsAsync<FormationException>(() => Verifier().VerifyAsync(null).AsTask());
        Assert.Equal(ErrorKind.Unauthenticated, ex.Kind);
        Assert.Contains("--credential FILE", ex.Message);
    }

    [Fact]
    public async Task TamperedProof_IsRefused_EvenAfterTheGenuineOneWasRemembered()
    {
        var verifier = Verifier(("bob", false));
        using var bob = Issue("bob");
        var genuine = Sign(bob);
        await verifier.VerifyAsync(genuine);

        var flipped = (byte[])genuine.Signature.Clone();
        flipped[^1] ^= 0x01;
        await RefusedAsync(verifier, genuine with { Signature = flipped }, "not signed");
        // Same signature, other claims: the remembered verification does not carry over.
        await RefusedAsync(verifier, genuine with { IssuedAtMs = genuine.IssuedAtMs + 1 }, "not signed");
        using var carol = Issue("carol");
        await RefusedAsync(verifier, genuine with { Certificate = carol.Certificate.RawData }, "other than the one it names");
        var carols = SHA256.HashData(carol.Certificate.RawData);
        await RefusedAsync(verifier, genuine with { Certificate = carol.Certificate.RawData, Fingerprint = carols }, "not signed");
        await RefusedAsync(verifier, genuine with { Certificate = null, Fingerprint = carols }, "not signed");
    }

    [Fact]
    public async Task StaleOrFutureProof_IsRefused()
    {
        var verifier = Verifier(("bob", false));
        using var bob = Issue("bob");
        var now = _clock.GetUtcNow();
        await RefusedAsync(verifier, Sign(bob, at: now - ProofSigner.MaxAge - TimeSpan.FromSeconds(1)), "stale");
        await RefusedAsync(verifier, Sign(bob, at: now + ProofVerifier.MaxSkew + TimeSpan.FromSeconds(1)), "future");

        // A remembered proof goes stale as time passes.
        var fresh = Sign(bob);
        Assert.Equal("bob", (await verifier.VerifyAsync(fresh)).Account);
        _clock.Advance(ProofSigner.MaxAge + TimeSpan.FromSeconds(1));
        await RefusedAsync(verifier, fresh, "stale");
    }

    [Fact]
    public async Task ProofFromAnotherCa_IsRefused()
    {
        using var other = ClusterAuthority.Create("formation", _clock.GetUtcNow());
        using var stranger = other.IssueCredential("bob", ClusterAuthority.ClientUnit, [], _clock.GetUtcNow());
        using var strangerNode = other.IssueCredential("node-x", ClusterAuthority.NodeUnit, [], _clock.GetUtcNow());
        var verifier = Verifier(("bob", false));
        await RefusedAsync(verifier, Sign(stranger), "not issued by this cluster's CA");
        await RefusedAsync(verifier, Sign(strangerNode, Caller.Admin), "not issued by this cluster's CA");
    }

    [Fact]
    public async Task RevokedSerial_OrDeletedAccount_IsRefused()
    {
        var verifier = Verifier(("bob", false), ("dave", false));
        using var bob = Issue("bob");
        using var dave = Issue("dave");
        Assert.Equal("bob", (await verifier.VerifyAsync(Sign(bob))).Account);
        _accounts.Apply(new AccountsView(2, new Dictionary<string, bool> { ["bob"] = false }, [bob.Certificate.SerialNumber]));
        await RefusedAsync(verifier, Sign(bob), "revoked");
        await RefusedAsync(verifier, Sign(dave), "does not exist");
    }

    [Fact]
    public async Task AccountNamedSystem_IsRefused()
    {
        using var forged = _ca.IssueCredential(Caller.System.Account, ClusterAuthority.ClientUnit, [], _clock.GetUtcNow());
        await RefusedAsync(Verifier(), Sign(forged), "no account may be named");
    }

    [Fact]
    public async Task Signer_ReusesAProofForAMinute_AndVerifierRemembersIt()
    {
        var verifier = Verifier(("bob", false));
        using var bob = Issue("bob");
        using var signer = new ProofSigner(bob, _clock);
        var first = signer.Sign();
        Assert.Same(first, signer.Sign());
        _clock.Advance(ProofSigner.Reuse + TimeSpan.FromSeconds(1));
        var second = signer.Sign();
        Assert.NotSame(first, second);

        const int calls = 200_000;
        await verifier.VerifyAsync(signer.WithCertificate(second));
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await verifier.VerifyAsync(second);
        }

        var perCall = clock.Elapsed.TotalMicroseconds / calls;
        var full = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            await Verifier(("bob", false)).VerifyAsync(signer.WithCertificate(second));
        }

        output.WriteLine($"remembered verification: {perCall:0.00} µs per call; full (chain + ECDSA): {full.Elapsed.TotalMicroseconds / 100:0} µs");
        Assert.Equal(1, verifier.FullVerifications);
        Assert.True(perCall < 20, $"a remembered verification took {perCall:0.00} µs");
    }

    [Fact]
    public async Task ProofWithoutCertificate_FromAnUnknownCertificate_AsksForIt_ThenTheCertificateIsRemembered()
    {
        var verifier = Verifier(("bob", false));
        using var bob = Issue("bob");
        using var signer = new ProofSigner(bob, _clock);
        var compact = signer.Sign();
        Assert.Null(compact.Certificate);

        var asked = await Assert.ThrowsAsync<FormationException>(() => verifier.VerifyAsync(compact).AsTask());
        Assert.True(CallerProof.AsksForCertificate(asked));
        Assert.Equal(ErrorKind.Unauthenticated, asked.Kind);

        Assert.Equal("bob", (await verifier.VerifyAsync(signer.WithCertificate(compact))).Account);
        Assert.Equal("bob", (await verifier.VerifyAsync(compact)).Account);
        _clock.Advance(ProofSigner.Reuse + TimeSpan.FromSeconds(1));
        var next = signer.Sign();
        Assert.NotEqual(compact.Signature, next.Signature);
        Assert.Equal("bob", (await verifier.VerifyAsync(next)).Account);
        Assert.Equal(1, verifier.CertificatesChecked);
        Assert.Equal(2, verifier.FullVerifications);
    }

    [Fact]
    public async Task RememberedCertificate_IsStillRefused_WhenRevokedOrExpired()
    {
        var verifier = Verifier(("bob", false));
        using var bob = Issue("bob");
        using var signer = new ProofSigner(bob, _clock);
        Assert.Equal("bob", (await verifier.VerifyAsync(signer.WithCertificate(signer.Sign()))).Account);

        _clock.Advance(ProofSigner.Reuse + TimeSpan.FromSeconds(1));
        _accounts.Apply(new AccountsView(2, new Dictionary<string, bool> { ["bob"] = false }, [bob.Certificate.SerialNumber]));
        await RefusedAsync(verifier, signer.Sign(), "revoked");

        _accounts.Apply(new AccountsView(3, new Dictionary<string, bool> { ["bob"] = false }, []));
        _clock.Advance(bob.Certificate.NotAfter.ToUniversalTime() - _clock.GetUtcNow().UtcDateTime + TimeSpan.FromMinutes(1));
        await RefusedAsync(verifier, signer.Sign(), "expired");
        Assert.Equal(1, verifier.CertificatesChecked);
    }

    [Fact]
    public async Task RememberedCertificate_DoesNotAdmitAnotherCertificatesKey()
    {
        var verifier = Verifier(("bob", false), ("carol", false));
        using var bob = Issue("bob");
        using var carol = Issue("carol");
        await verifier.VerifyAsync(Sign(bob));

        // Carol's signature under bob's fingerprint (bob's certificate is remembered): not bob's key, refused.
        var carols = Sign(carol) with { Certificate = null };
        await RefusedAsync(verifier, carols with { Fingerprint = SHA256.HashData(bob.Certificate.RawData) }, "not signed");
        // A fingerprint of no certificate at all, or none.
        Assert.True(CallerProof.AsksForCertificate(await Assert.ThrowsAsync<FormationException>(() => verifier.VerifyAsync(carols with { Fingerprint = new byte[32] }).AsTask())));
        await RefusedAsync(verifier, carols with { Fingerprint = [] }, "names no certificate");
    }

    [Fact]
    public void ProofWithoutCertificate_IsSmall_OnTheWire()
    {
        using var bob = Issue("bob");
        using var signer = new ProofSigner(bob, _clock);
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var compact = serializer.SerializeToArray(signer.Sign()).Length;
        var full = serializer.SerializeToArray(signer.WithCertificate(signer.Sign())).Length;

        output.WriteLine($"proof on the wire: {compact} bytes (fingerprint), {full} bytes (with the certificate)");
        Assert.True(compact <= 160, $"a proof without its certificate takes {compact} bytes");
        Assert.True(full - compact >= bob.Certificate.RawData.Length, $"{full} vs {compact} bytes");
    }

    public void Dispose() => _ca.Dispose();

    private ProofVerifier Verifier(params (string Name, bool Admin)[] accounts)
    {
        _accounts.Apply(new AccountsView(1, accounts.ToDictionary(a => a.Name, a => a.Admin), []));
        return new ProofVerifier(_ca.Certificate, _accounts, _clock);
    }

    private ClusterCredential Issue(string account) => _ca.IssueCredential(account, ClusterAuthority.ClientUnit, [], _clock.GetUtcNow());

    private CallerProof Sign(ClusterCredential credential, Caller? onBehalfOf = null, DateTimeOffset? at = null)
    {
        using var key = credential.Certificate.GetECDsaPrivateKey()!;
        return ProofSigner.Create(credential.Certificate.RawData, (at ?? _clock.GetUtcNow()).ToUnixTimeMilliseconds(), onBehalfOf, key);
    }

    private static async Task RefusedAsync(ProofVerifier verifier, CallerProof proof, string because)
    {
        var ex = await Assert.ThrowsAsync<FormationException>(() => verifier.VerifyAsync(proof).AsTask());
        Assert.Equal(ErrorKind.Unauthenticated, ex.Kind);
        Assert.Contains(because, ex.Message);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}

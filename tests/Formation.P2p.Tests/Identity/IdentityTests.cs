using Formation.P2p.Identity;

namespace Formation.P2p.Tests.Identity;

public sealed class IdentityTests
{
    private static byte[] Seed(byte last) => [.. new byte[31], last];

    [Fact]
    public void Seed1_MatchesJsLibp2p()
    {
        var key = Ed25519KeyPair.FromSeed(Seed(1));
        Assert.Equal("4cb5abf6ad79fbf5abbccafcc269d85cd2651ed4b885b5869f241aedf0a5ba29", Convert.ToHexString(key.PublicKey).ToLowerInvariant());
        Assert.Equal("080112204cb5abf6ad79fbf5abbccafcc269d85cd2651ed4b885b5869f241aedf0a5ba29", Convert.ToHexString(key.PublicKeyProto).ToLowerInvariant());
        Assert.Equal("12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp", key.PeerId.ToString());
        Assert.Equal("12D3KooWGd9yU88mUxAFhJK84mHMNdGcpXPSnQusEeNENLa2VJjj", Ed25519KeyPair.FromSeed(Seed(99)).PeerId.ToString());
    }

    [Fact]
    public void PeerId_ParsesBase58AndCid_AndRecoversKey()
    {
        var key = Ed25519KeyPair.FromSeed(Seed(1));
        var parsed = PeerId.Parse("12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp");
        Assert.Equal(key.PeerId, parsed);
        Assert.Equal(key.PublicKey, parsed.TryGetEd25519PublicKey());
        var cid = "b" + Formation.P2p.Encoding.Base32.Encode([1, 0x72, .. parsed.Bytes]);
        Assert.Equal(parsed, PeerId.Parse(cid));
        Assert.False(PeerId.TryParse("12D3KooWnotapeer", out _));
        Assert.False(PeerId.TryFromBytes([0x00, 0x05, 1, 2], out _));
    }

    [Fact]
    public void Signatures_VerifyAndDetectTampering()
    {
        var key = Ed25519KeyPair.Generate();
        var signature = key.Sign("hello"u8);
        Assert.True(Ed25519.Verify(key.PublicKey, "hello"u8, signature));
        signature[0] ^= 1;
        Assert.False(Ed25519.Verify(key.PublicKey, "hello"u8, signature));
    }

    [Fact]
    public void PrivateKeyProto_RoundTrips_AndRejectsMismatchedHalves()
    {
        var key = Ed25519KeyPair.Generate();
        var proto = key.ToPrivateKeyProto();
        Assert.Equal(key.PeerId, Ed25519KeyPair.FromPrivateKeyProto(proto).PeerId);
        proto[^1] ^= 1;
        Assert.Throws<FormatException>(() => Ed25519KeyPair.FromPrivateKeyProto(proto));
    }

    [Fact]
    public void IdentityFile_PersistsWithMode0600_AndRefusesLooseMode()
    {
        var dir = Directory.CreateTempSubdirectory("p2p-identity-").FullName;
        try
        {
            var path = Path.Combine(dir, "sub", "p2p-identity.key");
            var first = IdentityFile.LoadOrCreate(path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(first.PeerId, IdentityFile.LoadOrCreate(path).PeerId);

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            var e = Assert.Throws<InvalidOperationException>(() => IdentityFile.LoadOrCreate(path));
            Assert.Contains("chmod 600", e.Message);

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllBytes(path, [1, 2, 3]);
            Assert.Contains("damaged", Assert.Throws<InvalidOperationException>(() => IdentityFile.LoadOrCreate(path)).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

using Formation.Errors;
using Formation.Images;

namespace Formation.Silo.Tests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("hello", "hello:latest")]
    [InlineData("hello:1.0", "hello:1.0")]
    [InlineData("Hello_World.v2:RC-1", "hello_world.v2:RC-1")]
    [InlineData(" web ", "web:latest")]
    [InlineData("deadbeefcafe12", "deadbeefcafe12:latest")]
    public void Normalize_ValidReference_IsNameColonTag(string input, string expected) =>
        Assert.Equal(expected, ImageReference.Normalize(input));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("-web", "image name '-web' is not valid")]
    [InlineData("we b", "image name 'we b' is not valid")]
    [InlineData("web:", "image tag '' is not valid")]
    [InlineData("web:a:b", "image tag 'a:b' is not valid")]
    [InlineData("sha256:0123456789ab", "is a digest")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "is a digest")]
    public void Normalize_InvalidReference_SaysWhatIsWrong(string input, string message)
    {
        var error = Assert.Throws<FormationException>(() => ImageReference.Normalize(input));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("sha256:0123456789AB", "0123456789ab", true)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ab", "0123456789ab", false)]
    public void DigestHex_DigestOrPrefix_ReturnsLowerHex(string input, string hex, bool explicitDigest)
    {
        Assert.Equal(hex, ImageReference.DigestHex(input, out var isExplicit));
        Assert.Equal(explicitDigest, isExplicit);
    }

    [Theory]
    [InlineData("0123456789a")]
    [InlineData("hello")]
    [InlineData("sha256:xyz0123456789")]
    [InlineData("0123456789ab:latest")]
    public void DigestHex_NotADigest_IsNull(string input) => Assert.Null(ImageReference.DigestHex(input, out _));

    [Fact]
    public void DigestMatches_ComparesThePrefixOfTheHex()
    {
        var digest = "sha256:" + new string('a', 12) + new string('b', 52);
        Assert.True(ImageReference.DigestMatches(digest, "aaaaaaaaaaaa"));
        Assert.False(ImageReference.DigestMatches(digest, "aaaaaaaaaaab"));
        Assert.False(ImageReference.DigestMatches(null, "aaaaaaaaaaaa"));
        Assert.Equal("aaaaaaaaaaaa", ImageReference.Short(digest));
    }
}

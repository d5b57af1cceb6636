using Formation.Silo.Identity;

namespace Formation.Silo.Tests.Identity;

public sealed class JoinTokenTests
{
    [Fact]
    public void NewToken_RoundTrips_AndHashesItsSecret()
    {
        var pin = new string('a', 64);
        var token = JoinToken.New(pin);
        Assert.True(JoinToken.TryParse(token.ToString(), out var parsed, out _));
        Assert.Equal(token, parsed);
        Assert.Equal(pin, parsed.CaFingerprint);
        Assert.Equal(64, token.Hash.Length);
        Assert.DoesNotContain(token.Secret, token.Hash);
        Assert.NotEqual(token.Secret, JoinToken.New(pin).Secret);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fj1.short.aaaa")]
    [InlineData("fj2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("fj1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    public void MalformedToken_IsRejected_WithWhatItShouldLookLike(string text)
    {
        Assert.False(JoinToken.TryParse(text, out _, out var error));
        Assert.Contains("fj1.", error);
    }
}

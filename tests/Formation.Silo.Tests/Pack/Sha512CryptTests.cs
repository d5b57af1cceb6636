using System.Diagnostics;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

public class Sha512CryptTests
{
    [Theory]
    [InlineData("Hello world!", "saltstring", null, "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")]
    [InlineData("Hello world!", "saltstringsaltstring", 10000, "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.")]
    public void Hash_SpecificationVectors_Match(string password, string salt, int? rounds, string expected) =>
        Assert.Equal(expected, Sha512Crypt.Hash(password, salt, rounds));

    [Theory]
    [InlineData("bigdog123")]
    [InlineData("")]
    [InlineData("a much longer password with spaces, unicode \u00e9\u00e8 and more than sixty-four bytes in total length!!")]
    public async Task Hash_AnyPassword_MatchesBusyboxMkpasswd(string password)
    {
        Prerequisites.RequireFile("/bin/busybox", "busybox-static");
        var salt = Sha512Crypt.NewSalt();
        using var process = Process.Start(new ProcessStartInfo("/bin/busybox", ["mkpasswd", "-m", "sha512", password, salt]) { RedirectStandardOutput = true })!;
        var expected = (await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)).Trim();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(expected, Sha512Crypt.Hash(password, salt));
    }

    [Fact]
    public void NewSalt_IsSixteenCryptCharacters()
    {
        var salt = Sha512Crypt.NewSalt();
        Assert.Equal(16, salt.Length);
        Assert.All(salt, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '.' or '/'));
        Assert.NotEqual(salt, Sha512Crypt.NewSalt());
    }
}

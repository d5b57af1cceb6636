using Formation.Grains.Images;
using Formation.Identity;
using Formation.Images;

namespace Formation.Grains.Tests.Images;

/// <summary>How an image grain's key is read for a caller: whose images it names, and which keys hold records.</summary>
public sealed class ImageKeyTests
{
    private static readonly Caller Bob = new("bob", IsAdmin: false);
    private static readonly Caller Ops = new("ops", IsAdmin: true);

    [Theory]
    [InlineData("web:latest", true)]
    [InlineData("bob/web:latest", true)]
    [InlineData("admin/web:latest", false)] // the admin account's records are bare, as before accounts
    [InlineData("web", false)]
    [InlineData("bob/web", false)]
    [InlineData("sha256:0123456789ab", false)]
    [InlineData("bob/sha256:0123456789ab", false)]
    [InlineData("a/b/web:latest", false)]
    [InlineData("/web:latest", false)]
    public void IsRecord_OnlyForRecordKeys(string key, bool record) => Assert.Equal(record, ImageKey.Parse(key).IsRecord);

    [Fact]
    public void Parse_SplitsTheAccount_AndReadsTheRestAsBefore()
    {
        var key = ImageKey.Parse("bob/Web:1.0");

        Assert.Equal(("bob", "web:1.0", null, null), (key.Account, key.Canonical, key.DigestHex, key.Problem));
        Assert.Equal("0123456789abcdef", ImageKey.Parse("alice/sha256:0123456789ABCDEF").DigestHex);
        Assert.NotNull(ImageKey.Parse("a/b/web").Problem);
        Assert.NotNull(ImageKey.Parse("bob/Not Valid!").Problem);
    }

    [Fact]
    public void AccountFor_BareKeysAreTheCallersOwn_AnotherAccountIsNoneForAMember()
    {
        Assert.Equal("bob", ImageKey.Parse("web").AccountFor(Bob));
        Assert.Equal("bob", ImageKey.Parse("web:latest").AccountFor(Bob)); // the admin's record key, read by bob: bob's own web
        Assert.Equal("bob", ImageKey.Parse("bob/web").AccountFor(Bob));
        Assert.Null(ImageKey.Parse("alice/web").AccountFor(Bob));
        Assert.Null(ImageKey.Parse("admin/web").AccountFor(Bob));
        Assert.Equal("alice", ImageKey.Parse("alice/web").AccountFor(Ops));
        Assert.Equal("ops", ImageKey.Parse("web").AccountFor(Ops));
        Assert.Equal(Caller.AdminAccount, ImageKey.Parse("web").AccountFor(Caller.System));
    }

    [Fact]
    public void ImageNames_RecordKeysInAccountAndStoreTags()
    {
        Assert.Equal("web:latest", ImageNames.RecordKey(Caller.AdminAccount, "web:latest"));
        Assert.Equal("bob/web:latest", ImageNames.RecordKey("bob", "web:latest"));

        Assert.Equal("bob/web", ImageNames.InAccount("bob", "web"));
        Assert.Equal("bob/web", ImageNames.InAccount("bob", "bob/web"));
        Assert.Equal("admin/sha256:0123456789ab", ImageNames.InAccount(Caller.AdminAccount, "sha256:0123456789ab"));
        Assert.Equal("bob/web", ImageNames.InAccount(Caller.AdminAccount, "bob/web")); // the admin account may name any account's
        Assert.NotNull(ImageKey.Parse(ImageNames.InAccount("bob", "alice/web")).Problem); // a member's spec naming another's: no image

        Assert.Equal("web:latest", ImageNames.StoreTag(Caller.AdminAccount, "web:latest"));
        Assert.Equal("bob:web:latest", ImageNames.StoreTag("bob", "web:latest"));
    }
}

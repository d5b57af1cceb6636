using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

public class FormfileParserUserTests
{
    private static FormfileUser User(string line) => Assert.Single(FormfileAssert.Parses("NAME app\n" + line).Users);

    [Fact]
    public void Parse_UserWithOnlyRequiredFields_HasOriginalDefaults()
    {
        var u = User("USER username:dev passwd:secret");
        Assert.Equal("dev", u.Username);
        Assert.Equal("secret", u.Password);
        Assert.Empty(u.SshAuthorizedKeys);
        Assert.False(u.Sudo);
        Assert.Empty(u.Groups);
        Assert.Null(u.Shell);
        Assert.False(u.LockPassword);
        Assert.True(u.ChpasswdExpire);
        Assert.True(u.SshPasswordAuth);
        Assert.True(u.DisableRoot);
    }

    [Fact]
    public void Parse_UserWithEveryField_ReadsEachOne()
    {
        var u = User("USER username:ops passwd=\"pa ss\" ssh_authorized_keys:\"ssh-ed25519 AAAA a@b,ssh-rsa BBBB c@d\" sudo:yes "
            + "groups:adm,docker shell:/bin/sh lock_passwd:on chpasswd_expire:no ssh_pwauth:0 disable_root:false");
        Assert.Equal("ops", u.Username);
        Assert.Equal("pa ss", u.Password);
        Assert.Equal(["ssh-ed25519 AAAA a@b", "ssh-rsa BBBB c@d"], u.SshAuthorizedKeys);
        Assert.True(u.Sudo);
        Assert.Equal(["adm", "docker"], u.Groups);
        Assert.Equal("/bin/sh", u.Shell);
        Assert.True(u.LockPassword);
        Assert.False(u.ChpasswdExpire);
        Assert.False(u.SshPasswordAuth);
        Assert.False(u.DisableRoot);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("0", false)]
    [InlineData("Off", false)]
    public void Parse_UserBoolean_AcceptsOriginalSpellings(string value, bool expected) =>
        Assert.Equal(expected, User($"USER username:dev passwd:x sudo:{value}").Sudo);

    [Fact]
    public void Parse_UserLockedWithoutPassword_IsAccepted()
    {
        var u = User("USER username:keyonly lock_passwd:true ssh_authorized_keys:\"ssh-ed25519 AAAA k@h\"");
        Assert.Null(u.Password);
        Assert.True(u.LockPassword);
    }

    [Fact]
    public void Parse_UserWithCryptHash_KeepsHash()
    {
        var u = User("USER username:dev passwd:'$6$salt$abcdef'");
        Assert.True(u.PasswordIsHash);
    }

    [Fact]
    public void UserInstruction_Text_NeverContainsThePassword()
    {
        var f = FormfileAssert.Parses("NAME app\nUSER username:dev passwd:hunter2");
        var text = f.Instructions[0].Text;
        Assert.DoesNotContain("hunter2", text);
        Assert.DoesNotContain("hunter2", f.Users[0].ToString());
    }

    [Theory]
    [InlineData("USER passwd:x", FormfileDiagnosticCodes.Required, 2, 1)]
    [InlineData("USER username:dev", FormfileDiagnosticCodes.Required, 2, 1)]
    [InlineData("USER username:Dev passwd:x", FormfileDiagnosticCodes.InvalidValue, 2, 15)]
    [InlineData("USER username:root passwd:x", FormfileDiagnosticCodes.InvalidValue, 2, 15)]
    [InlineData("USER username:dev passwd:x sudo:maybe", FormfileDiagnosticCodes.InvalidValue, 2, 33)]
    [InlineData("USER username:dev passwd:x shell:bash", FormfileDiagnosticCodes.InvalidValue, 2, 34)]
    [InlineData("USER username:dev passwd:x groups:Bad!", FormfileDiagnosticCodes.InvalidValue, 2, 35)]
    [InlineData("USER username:dev passwd:x passwd:y", FormfileDiagnosticCodes.Duplicate, 2, 28)]
    [InlineData("USER username:dev passwd:x \\", FormfileDiagnosticCodes.DanglingContinuation, 2, 28)]
    [InlineData("USER username:dev passwd:", FormfileDiagnosticCodes.InvalidValue, 2, 26)]
    [InlineData("USER username:dev passwd:x bogus", FormfileDiagnosticCodes.InvalidValue, 2, 28)]
    [InlineData("USER username:dev passwd:'$6$abc'", FormfileDiagnosticCodes.InvalidValue, 2, 26)]
    [InlineData("USER username:dev passwd:'$6$a:b$c'", FormfileDiagnosticCodes.InvalidValue, 2, 26)]
    public void Parse_BadUser_ReportsPosition(string line, string code, int lineNumber, int column)
    {
        var error = FormfileAssert.FailsOnce("NAME app\n" + line);
        Assert.Equal(code, error.Code);
        Assert.Equal((lineNumber, column), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_MisspelledUserField_SuggestsTheField()
    {
        var error = FormfileAssert.FailsOnce("NAME app\nUSER username:dev passwd:x ssh_authorized_key:\"ssh-ed25519 AAAA\"");
        Assert.Contains("ssh_authorized_keys", error.Suggestion);
        Assert.Equal(28, error.Column);
    }

    [Fact]
    public void Parse_SameUserTwice_IsDuplicate()
    {
        var error = FormfileAssert.FailsOnce("NAME app\nUSER username:dev passwd:x\nUSER username:dev passwd:y");
        Assert.Equal(FormfileDiagnosticCodes.Duplicate, error.Code);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Parse_EnvForUnknownUser_SuggestsDefinedUser()
    {
        var error = FormfileAssert.FailsOnce("NAME app\nUSER username:deploy passwd:x\nENV --scope=user:deplyo A=1");
        Assert.Equal(3, error.Line);
        Assert.Contains("user:deploy", error.Suggestion);
    }
}

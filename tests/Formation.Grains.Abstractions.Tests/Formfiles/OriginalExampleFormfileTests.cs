using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

/// <summary>The original Formation's example Formfiles (FORMATION.md §1.5) parse unchanged.</summary>
public class OriginalExampleFormfileTests
{
    private static Formfile Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Formfiles", "Examples", name);
        var result = FormfileParser.Parse(File.ReadAllText(path), name);
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.DoesNotContain(result.Diagnostics, d => d.Code != FormfileDiagnosticCodes.Suspicious);
        return result.Formfile!;
    }

    [Fact]
    public void Parse_FormpackTestFormfile_MatchesTheOriginalMeaning()
    {
        var f = Load("formpack.Formfile");
        Assert.Equal("hello-server", f.Name);
        Assert.Equal(BaseImage.DebianBookworm, f.From);
        Assert.Equal((2, 2048, 5), (f.Resources.Vcpu, f.Resources.MemoryMiB, f.Resources.DiskGiB));
        var user = Assert.Single(f.Users);
        Assert.Equal(("bigdog", "bigdog123", true, false), (user.Username, user.Password, user.Sudo, user.DisableRoot));
        Assert.Equal("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPyzF/dcTQvyOdxfnnNfzOqgKuqyQAHMA/iYaM4grl08 gajesh@eigenlabs.org", Assert.Single(user.SshAuthorizedKeys));
        var copy = f.Instructions.OfType<CopyInstruction>().Single();
        Assert.Equal(["hello.py"], copy.Sources);
        Assert.Equal("/app", copy.Destination);
        Assert.Equal(["python3"], f.Instructions.OfType<InstallInstruction>().Single().Packages);
        Assert.Equal("/app", f.Workdir);
        Assert.Equal(["python3", "/app/hello.py"], f.Entrypoint!.Argv);
    }

    [Fact]
    public void Parse_ReadmeFormfile_ParsesWithKeyWarningOnly()
    {
        var f = Load("readme.Formfile");
        Assert.Equal(["python3", "server.py"], f.Entrypoint!.Argv);
        Assert.Equal("webdev", f.Users[0].Username);
    }

    [Fact]
    public void Parse_PcaiStyleFormfile_KeepsStepOrder()
    {
        var f = Load("pcai.Formfile");
        Assert.Equal(["USER", "COPY", "COPY", "COPY", "INSTALL", "RUN", "WORKDIR"], f.Instructions.Select(i => i.Directive));
        Assert.Equal(["docker.io", "docker-compose", "nginx", "curl", "git"], f.Instructions.OfType<InstallInstruction>().Single().Packages);
    }

    [Fact]
    public void Parse_ReadmeMultiLineUser_WorksWithContinuation()
    {
        var f = Load("readme-continued.Formfile");
        var user = Assert.Single(f.Users);
        Assert.Equal(("webdev", "webpass123", true), (user.Username, user.Password, user.Sudo));
        Assert.Single(user.SshAuthorizedKeys);
    }

    [Theory]
    [InlineData("tiny-hello", BaseImageKind.Tiny)]
    [InlineData("debian-web", BaseImageKind.Debian)]
    public void Parse_BuilderExamples_ParseCleanly(string example, BaseImageKind kind)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "PackExamples", example, "Formfile");
        var result = FormfileParser.Parse(File.ReadAllText(path), path);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(kind, result.Formfile!.From.Kind);
        Assert.NotNull(result.Formfile.Entrypoint);
    }
}

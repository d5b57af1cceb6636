using System.Diagnostics;
using System.Formats.Tar;
using Formation.Formfiles;
using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Pack;

public class GuestConfigTests : IDisposable
{
    private readonly TestDirectory _dir = new("guest-config");

    private static Formfile Parse(string text) => FormfileParser.Parse(text).Formfile ?? throw new InvalidOperationException(string.Join("\n", FormfileParser.Parse(text).Diagnostics));

    private async Task<Dictionary<string, string>> FilesAsync(GuestConfig config)
    {
        using var tar = new MemoryStream();
        await config.WriteTarAsync(tar, TestContext.Current.CancellationToken);
        tar.Position = 0;
        var files = new Dictionary<string, string>();
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            files[entry.Name] = new StreamReader(entry.DataStream!).ReadToEnd();
        }

        return files;
    }

    private async Task<string> BusyboxAsync(params string[] args)
    {
        Prerequisites.RequireFile("/bin/busybox", "busybox-static");
        using var process = Process.Start(new ProcessStartInfo("/bin/busybox", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)
            + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, output);
        return output;
    }

    [Fact]
    public async Task InitScript_IsValidBusyboxShell()
    {
        var path = _dir.Write("init", GuestInit.Script);
        await BusyboxAsync("sh", "-n", path);
    }

    [Fact]
    public async Task EnvironmentFile_RoundTripsAwkwardValuesThroughTheShell()
    {
        var config = new GuestConfig(Parse("NAME a\nENV A=\"it's a \\\"test\\\" $HOME `x`\" B=plain\nENV --scope=service:app C=svc\nENV --scope=service:nginx D=no"));
        var files = await FilesAsync(config);
        var env = _dir.Write("env", files["etc/formation/entrypoint.env"]);

        var output = await BusyboxAsync("sh", "-c", ". \"$0\"; printf '%s|%s|%s|%s' \"$A\" \"$B\" \"$C\" \"${D-unset}\"", env);

        Assert.Equal("it's a \"test\" $HOME `x`|plain|svc|unset", output);
        Assert.Equal("D=\"no\"\n", files["etc/nginx.env"]);
    }

    [Theory]
    [InlineData("ENTRYPOINT [\"python3\", \"/app/my server.py\"]", "exec python3 '/app/my server.py'")]
    [InlineData("ENTRYPOINT echo $HOME > /tmp/x", "exec /bin/sh -c 'echo $HOME > /tmp/x'")]
    public async Task EntrypointScript_ChangesToWorkdirAndExecs(string line, string exec)
    {
        var files = await FilesAsync(new GuestConfig(Parse($"NAME a\nWORKDIR /srv/app\n{line}")));
        Assert.Equal($"#!/usr/lib/formation/busybox sh\ncd /srv/app || exit 1\n{exec}\n", files["etc/formation/entrypoint"]);
    }

    [Theory]
    [InlineData("NAME a", "shell|root")]
    [InlineData("NAME a\nCONSOLE none", "none|root")]
    [InlineData("NAME a\nUSER username:dev passwd:secret\nUSER username:ops passwd:x", "shell|dev")]
    public async Task ConsoleFile_SaysWhatAnswersOnTheConsoleAndForWhom(string formfile, string expected)
    {
        var files = await FilesAsync(new GuestConfig(Parse(formfile)));
        var console = _dir.Write("console", files[GuestInit.ConsolePath.TrimStart('/')]);

        var output = await BusyboxAsync("sh", "-c", ". \"$0\"; printf '%s|%s' \"$CONSOLE_MODE\" \"$CONSOLE_USER\"", console);

        Assert.Equal(expected, output);
    }

    [Fact]
    public async Task NoEntrypoint_WritesNoEntrypointScript()
    {
        var files = await FilesAsync(new GuestConfig(Parse("NAME a")));
        Assert.DoesNotContain("etc/formation/entrypoint", files.Keys);
        Assert.Contains("usr/lib/formation/init", files.Keys);
    }

    [Theory]
    [InlineData("hello-server", "hello-server")]
    [InlineData("My_App.v2", "my-app-v2")]
    [InlineData("-x-", "x")]
    public void ToHostname_MakesValidHostnames(string name, string host) => Assert.Equal(host, GuestConfig.ToHostname(name));

    [Fact]
    public void Digest_DependsOnEntrypointAndEnvironment()
    {
        var a = new GuestConfig(Parse("NAME a\nENTRYPOINT a")).Digest();
        Assert.Equal(a, new GuestConfig(Parse("NAME a\nENTRYPOINT a")).Digest());
        Assert.NotEqual(a, new GuestConfig(Parse("NAME a\nENTRYPOINT b")).Digest());
        Assert.NotEqual(a, new GuestConfig(Parse("NAME a\nENV X=1\nENTRYPOINT a")).Digest());
    }

    public void Dispose() => _dir.Dispose();
}

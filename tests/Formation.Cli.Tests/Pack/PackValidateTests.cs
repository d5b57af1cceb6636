namespace Formation.Cli.Tests.Pack;

/// <summary><c>form pack validate</c> runs offline: no silo, no --gateway.</summary>
public sealed class PackValidateTests : IDisposable
{
    private readonly TestDirectory _dir = new("validate");

    [Fact]
    public async Task Validate_TheTinyExample_ExitsZeroWithASummary()
    {
        var run = await FormRun.InProcessAsync("pack", "validate", Examples.TinyHello);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Formfile: OK — image tiny-hello from tiny, 4 build steps, 1 vCPU, 128 MiB memory", run.Out);
        Assert.Contains("entrypoint /app/hello.sh", run.Out);
    }

    [Fact]
    public async Task Validate_Errors_PrintsEachAsFileLineColumnWithSuggestion_ExitsOne()
    {
        _dir.Write("Formfile", "NAME bad\nFROM tiny\nRUNN echo hi\nVCPU 500\nCOPY ./missing.txt /app\n");

        var run = await FormRun.InProcessAsync("pack", "validate", _dir.Path);

        Assert.Equal(1, run.ExitCode);
        var file = Path.Join(_dir.Path, "Formfile");
        Assert.Contains($"{file}:3:1: error FF001: ", run.Out);
        Assert.Contains("'RUN'", run.Out);
        Assert.Contains($"{file}:4:6: error FF003: ", run.Out);
        Assert.Contains("from 1 to 128", run.Out);
        Assert.Contains("2 error(s)", run.Error);
    }

    [Fact]
    public async Task Validate_CopySourceMissingOrIgnored_IsAnErrorAtTheCopyLine()
    {
        _dir.Write("Formfile", "NAME copies\nFROM tiny\nCOPY ./present.txt /app\n  COPY ./missing.txt /app\nCOPY ./ignored.log /app\n");
        _dir.Write("present.txt", "here");
        _dir.Write("ignored.log", "left out");
        _dir.Write(".formignore", "*.log\n");

        var run = await FormRun.InProcessAsync("pack", "validate", _dir.Path);

        Assert.Equal(1, run.ExitCode);
        var file = Path.Join(_dir.Path, "Formfile");
        Assert.Contains($"{file}:4:3: error FC001: COPY source 'missing.txt' does not exist in the build context", run.Out);
        Assert.Contains($"{file}:5:1: error FC001: COPY source 'ignored.log' is left out of the build context by .formignore", run.Out);
        Assert.DoesNotContain("present.txt", run.Out);
    }

    [Fact]
    public async Task Validate_FileOption_ReadsThatFormfileAgainstTheDirectory()
    {
        var formfile = _dir.Write("other/Custom.formfile", "NAME custom\nFROM tiny\nCOPY ./data.txt /srv\n");
        _dir.Write("data.txt", "x");

        var run = await FormRun.InProcessAsync("pack", "validate", _dir.Path, "-f", formfile);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"{formfile}: OK — image custom", run.Out);
    }

    [Fact]
    public async Task Validate_NoFormfile_SaysWhereItLookedAndHowToNameOne()
    {
        var run = await FormRun.InProcessAsync("pack", "validate", _dir.Path);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"No Formfile at {Path.Join(_dir.Path, "Formfile")}", run.Error);
        Assert.Contains("-f PATH", run.Error);
    }

    public void Dispose() => _dir.Dispose();
}

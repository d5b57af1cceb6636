using Formation.Cli.Context;

namespace Formation.Cli.Tests.Pack;

public sealed class FormIgnoreTests
{
    [Theory]
    [InlineData("*.log", "app.log", false, true)]
    [InlineData("*.log", "logs/deep/app.log", false, true)]
    [InlineData("*.log", "app.log.txt", false, false)]
    [InlineData("/secret.txt", "secret.txt", false, true)]
    [InlineData("/secret.txt", "sub/secret.txt", false, false)]
    [InlineData("docs/*.md", "docs/a.md", false, true)]
    [InlineData("docs/*.md", "docs/sub/a.md", false, false)]
    [InlineData("docs/**/*.md", "docs/sub/deeper/a.md", false, true)]
    [InlineData("docs/**/*.md", "docs/a.md", false, true)]
    [InlineData("build/", "build", true, true)]
    [InlineData("build/", "build", false, false)]
    [InlineData("node_modules", "web/node_modules", true, true)]
    [InlineData("?.tmp", "a.tmp", false, true)]
    [InlineData("?.tmp", "ab.tmp", false, false)]
    public void IsExcluded_Pattern_MatchesLikeGitignore(string pattern, string path, bool isDirectory, bool excluded) =>
        Assert.Equal(excluded, FormIgnore.Parse(pattern).IsExcluded(path, isDirectory));

    [Fact]
    public void IsExcluded_NegationAfterAMatch_IncludesAgain_LastRuleWins()
    {
        var ignore = FormIgnore.Parse("# comments and blank lines are skipped\n\n*.md\n!README.md\r\n");

        Assert.True(ignore.IsExcluded("notes.md", false));
        Assert.False(ignore.IsExcluded("README.md", false));
        Assert.False(ignore.IsExcluded("main.c", false));
        Assert.Equal(2, ignore.Count);
    }
}

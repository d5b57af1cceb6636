namespace Formation.TestSummary.Tests;

/// <summary>scripts/allowed-skips.txt, the list CI holds skips to, against the reasons the tests really give.</summary>
public sealed class AllowedSkipsTests
{
    private static readonly string ListPath = RepositoryPaths.Script("allowed-skips.txt");

    [Fact]
    public void AllowList_AcceptsTheKvmSkipReasonTheTestsGive()
    {
        var list = SkipAllowList.Load(ListPath);

        Assert.True(list.Allows(Prerequisites.KvmSkipReason("formation-vmm runs the guest")), string.Join(", ", list.Prefixes));
    }

    [Theory]
    [InlineData("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin/initdb; Debian package postgresql)")]
    [InlineData("the Formation guest kernel is not built")]
    [InlineData("/dev/net/tun is missing")]
    [InlineData("the image builder cannot run here: it needs root")]
    [InlineData("/dev/kvm cannot be opened read-write on this machine")] // the old free-form text: reasons must come from Prerequisites
    [InlineData("")]
    public void AllowList_RejectsEverythingThatIsNotMissingHardware(string reason)
    {
        Assert.False(SkipAllowList.Load(ListPath).Allows(reason));
    }

    [Fact]
    public void AllowList_EveryEntryIsExplainedByTheCommentAboveIt()
    {
        var lines = File.ReadAllLines(ListPath);

        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length > 0 && !lines[i].TrimStart().StartsWith('#'))
            {
                Assert.True(i > 0 && lines[i - 1].TrimStart().StartsWith('#'), $"entry '{lines[i]}' (line {i + 1}) has no comment saying why it may skip");
            }
        }
    }

    [Fact]
    public void Require_Missing_FailsNamingItAndTheRemedy()
    {
        var thrown = Record.Exception(() => Prerequisites.Require(false, "the widget is missing"));

        Assert.NotNull(thrown);
        Assert.DoesNotContain("Skip", thrown.GetType().Name, StringComparison.Ordinal);
        Assert.StartsWith("the widget is missing: run the tests through scripts/test", thrown.Message, StringComparison.Ordinal);
    }
}

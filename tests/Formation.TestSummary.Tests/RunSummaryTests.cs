using System.Xml.Linq;

namespace Formation.TestSummary.Tests;

public sealed class RunSummaryTests
{
    private static readonly SkipAllowList KvmOnly = SkipAllowList.Parse("# hardware only\nneeds /dev/kvm\n");

    [Fact]
    public void Write_TwoProjects_ListsSkipsByReasonThenEndsWithTheTrueCounts()
    {
        var summary = Summary(null,
            [Trx.Passed("A.P1"), Trx.Passed("A.P2"), Trx.Skipped("A.S1", "needs /dev/kvm: x"), Trx.Skipped("A.S2", "needs /dev/kvm: x")],
            [Trx.Passed("B.P1"), Trx.Skipped("B.S1", "needs /dev/kvm: y")]);

        var (code, lines) = Write(summary);

        Assert.Equal(0, code);
        Assert.Equal("3 passed, 0 failed, 3 skipped", lines[^1]);
        var skipped = lines.IndexOf("Skipped (3 tests), by reason:");
        Assert.True(skipped >= 0, string.Join('\n', lines));
        Assert.Equal(
            ["  needs /dev/kvm: x (2 tests):", "    A.S1", "    A.S2", "  needs /dev/kvm: y (1 test):", "    B.S1"],
            lines.Skip(skipped + 1).Take(5));
    }

    [Fact]
    public void Write_Failure_ListsItAndExitsNonZero()
    {
        var summary = Summary(null, [Trx.Passed("A.P1"), Trx.Failed("A.F1", "Assert.Equal() Failure\nExpected: 1")]);

        var (code, lines) = Write(summary);

        Assert.Equal(1, code);
        Assert.Contains("  A.F1: Assert.Equal() Failure", lines);
        Assert.Equal("1 passed, 1 failed, 0 skipped", lines[^1]);
    }

    [Fact]
    public void Write_TimeoutOutcome_IsNamedInTheFailedList()
    {
        var (code, lines) = Write(Summary(null, [Trx.Failed("A.T", "hung", "Timeout")]));

        Assert.Equal(1, code);
        Assert.Contains("  A.T [Timeout]: hung", lines);
    }

    [Fact]
    public void Write_CiWithASkipOutsideTheAllowList_FailsNamingTheTestAndItsReason()
    {
        var summary = Summary(KvmOnly, [Trx.Passed("A.P1"), Trx.Skipped("A.Pg", "PostgreSQL is not installed"), Trx.Skipped("A.Kvm", "needs /dev/kvm: x")]);

        var (code, lines) = Write(summary);

        Assert.Equal(1, code);
        Assert.Equal("A.Pg", Assert.Single(summary.DisallowedSkips).Name);
        Assert.Contains("  A.Pg: PostgreSQL is not installed", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("  A.Kvm:", StringComparison.Ordinal));
        Assert.Equal("1 passed, 0 failed, 2 skipped", lines[^1]);
    }

    [Fact]
    public void Write_CiWithASkipGivingNoReason_FailsIt()
    {
        var summary = Summary(KvmOnly, [Trx.Result("A.Silent", "NotExecuted", 0, null)]);

        var (code, lines) = Write(summary);

        Assert.Equal(1, code);
        Assert.Contains("  A.Silent: (no reason given)", lines);
    }

    [Fact]
    public void Write_CiWithOnlyAllowedSkips_Succeeds()
    {
        var (code, lines) = Write(Summary(KvmOnly, [Trx.Passed("A.P1"), Trx.Skipped("A.Kvm", "needs /dev/kvm: x")]));

        Assert.Equal(0, code);
        Assert.DoesNotContain(lines, l => l.StartsWith("Skips not allowed", StringComparison.Ordinal));
    }

    [Fact]
    public void Write_OutsideCi_AnySkipReason_DoesNotFailTheRun()
    {
        var (code, lines) = Write(Summary(null, [Trx.Passed("A.P1"), Trx.Skipped("A.Pg", "PostgreSQL is not installed")]));

        Assert.Equal(0, code);
        Assert.Equal("1 passed, 0 failed, 1 skipped", lines[^1]);
    }

    [Fact]
    public void Write_AProblemWithAResultFile_FailsEvenWhenEveryTestPassed()
    {
        var good = TrxFile.Read("A.trx", XDocument.Parse(Trx.File([Trx.Passed("A.P1")])));
        var lying = TrxFile.Read("B.trx", XDocument.Parse(Trx.File([Trx.Passed("B.P1")], total: 40)));

        var (code, lines) = Write(new RunSummary([good, lying], null, null));

        Assert.Equal(1, code);
        Assert.Contains(lines, l => l.Contains("total=40 but it holds 1", StringComparison.Ordinal));
        Assert.Equal("2 passed, 0 failed, 0 skipped", lines[^1]);
    }

    [Fact]
    public void Write_UnmarkedSlowLimit_ListsTheTestsThatTookLonger_LongestFirst()
    {
        var file = TrxFile.Read("A.trx", XDocument.Parse(Trx.File([Trx.Passed("A.Quick", 2), Trx.Passed("A.Long", 95.5), Trx.Passed("A.Longer", 120)])));

        var (code, lines) = Write(new RunSummary([file], null, TimeSpan.FromSeconds(30)));

        Assert.Equal(0, code);
        var header = lines.FindIndex(l => l.StartsWith("Took longer than 30 s", StringComparison.Ordinal));
        Assert.Equal(["  A.Longer (120.0 s)", "  A.Long (95.5 s)"], lines.Skip(header + 1).Take(2));
        Assert.DoesNotContain(lines, l => l.Contains("A.Quick", StringComparison.Ordinal));
    }

    private static RunSummary Summary(SkipAllowList? allowed, params string[][] projects) =>
        new(projects.Select((results, i) => TrxFile.Read($"P{i}.trx", XDocument.Parse(Trx.File(results)))).ToList(), allowed, null);

    private static (int Code, List<string> Lines) Write(RunSummary summary)
    {
        var output = new StringWriter { NewLine = "\n" };
        var code = summary.Write(output);
        return (code, output.ToString().TrimEnd('\n').Split('\n').ToList());
    }
}

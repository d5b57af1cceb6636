using System.Globalization;

namespace Formation.TestSummary;

/// <summary>
/// The end of a test run, from every project's TRX file: the skipped tests grouped by reason, the failed tests, in CI
/// the skips no allow-list entry accepts, any problem with the result files, then the closing line
/// <c>N passed, N failed, N skipped</c>. <see cref="Write"/> answers the exit code: 0 only when nothing failed, every
/// result file is whole and consistent, and (in CI) every skip is allowed.
/// </summary>
public sealed class RunSummary(IReadOnlyList<TrxFile> files, SkipAllowList? allowedSkips, TimeSpan? unmarkedSlowOver)
{
    private IEnumerable<TestResult> All => files.SelectMany(f => f.Results);

    public int Passed => All.Count(r => r.Outcome == TestOutcome.Passed);

    public int Failed => All.Count(r => r.Outcome == TestOutcome.Failed);

    public int Skipped => All.Count(r => r.Outcome == TestOutcome.Skipped);

    /// <summary>Skipped tests whose reason the allow-list does not accept (none when there is no allow-list: not CI).</summary>
    public IReadOnlyList<TestResult> DisallowedSkips =>
        allowedSkips is null ? [] : All.Where(r => r.Outcome == TestOutcome.Skipped && !allowedSkips.Allows(r.Message)).ToList();

    public IReadOnlyList<string> Problems => files.SelectMany(f => f.Problems).ToList();

    /// <summary>The closing line; always the last line written.</summary>
    public string ClosingLine => $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    public int Write(TextWriter output)
    {
        WriteSkipped(output);
        WriteFailed(output);
        WriteUnmarkedSlow(output);
        var disallowed = DisallowedSkips;
        if (disallowed.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"Skips not allowed in CI ({Count(disallowed.Count)} whose reason starts with no entry of the skip allow-list):");
            foreach (var test in disallowed.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                output.WriteLine($"  {test.Name}: {test.Message ?? "(no reason given)"}");
            }
        }

        var problems = Problems;
        if (problems.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("The results cannot be trusted whole:");
            foreach (var problem in problems)
            {
                output.WriteLine($"  {problem}");
            }
        }

        output.WriteLine();
        output.WriteLine(ClosingLine);
        return Failed > 0 || problems.Count > 0 || disallowed.Count > 0 ? 1 : 0;
    }

    private void WriteSkipped(TextWriter output)
    {
        var groups = All.Where(r => r.Outcome == TestOutcome.Skipped)
            .GroupBy(r => r.Message ?? "(no reason given)", StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        if (groups.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"Skipped ({Count(Skipped)}), by reason:");
        foreach (var group in groups)
        {
            output.WriteLine($"  {group.Key} ({Count(group.Count())}):");
            foreach (var test in group.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                output.WriteLine($"    {test.Name}");
            }
        }
    }

    private void WriteFailed(TextWriter output)
    {
        var failed = All.Where(r => r.Outcome == TestOutcome.Failed).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        if (failed.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"Failed ({Count(failed.Count)}):");
        foreach (var test in failed)
        {
            var firstLine = test.Message?.Split('\n')[0].TrimEnd();
            var outcome = test.RawOutcome == "Failed" ? "" : $" [{test.RawOutcome}]";
            output.WriteLine($"  {test.Name}{outcome}{(firstLine is null ? "" : ": " + firstLine)}");
        }
    }

    /// <summary>In a run that left out the tests marked Slow, the ones that took long anyway: they should be marked.</summary>
    private void WriteUnmarkedSlow(TextWriter output)
    {
        if (unmarkedSlowOver is not { } limit)
        {
            return;
        }

        var slow = All.Where(r => r.Duration > limit).OrderByDescending(r => r.Duration).ToList();
        if (slow.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"Took longer than {limit.TotalSeconds:0} s without [Trait(\"Category\", \"Slow\")] ({Count(slow.Count)}):");
        foreach (var test in slow)
        {
            output.WriteLine($"  {test.Name} ({test.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
        }
    }

    private static string Count(int n) => n == 1 ? "1 test" : $"{n} tests";
}

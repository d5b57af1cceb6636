namespace Formation.TestSummary;

/// <summary>What became of one test: the three kinds the closing line counts.</summary>
public enum TestOutcome
{
    Passed,
    Failed,
    Skipped,
}

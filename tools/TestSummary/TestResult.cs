namespace Formation.TestSummary;

/// <summary>
/// One test result from a TRX file. <paramref name="RawOutcome"/> is the TRX outcome as written ("Passed",
/// "NotExecuted", "Failed", "Timeout", ...); <paramref name="Message"/> is the skip reason or the failure message.
/// </summary>
public sealed record TestResult(string Name, TestOutcome Outcome, string RawOutcome, TimeSpan Duration, string? Message);

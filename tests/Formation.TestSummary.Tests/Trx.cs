using System.Security;
using System.Text;

namespace Formation.TestSummary.Tests;

/// <summary>Writes TRX files shaped like the ones `dotnet test --logger trx` writes for xunit v3 (see the sample in TrxFileTests).</summary>
internal static class Trx
{
    public static string Passed(string name, double seconds = 0.1) => Result(name, "Passed", seconds, null);

    public static string Skipped(string name, string reason) => Result(name, "NotExecuted", 0.001, reason);

    public static string Failed(string name, string message, string outcome = "Failed") => Result(name, outcome, 0.2, message);

    public static string Result(string name, string outcome, double seconds, string? message)
    {
        var duration = TimeSpan.FromSeconds(seconds).ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        var body = message is null ? " />" : $">\n      <Output>\n        <ErrorInfo>\n          <Message>{SecurityElement.Escape(message)}</Message>\n        </ErrorInfo>\n      </Output>\n    </UnitTestResult>";
        return $"""    <UnitTestResult executionId="{Guid.NewGuid()}" testId="{Guid.NewGuid()}" testName="{SecurityElement.Escape(name)}" computerName="vm" duration="{duration}" outcome="{outcome}" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d"{body}""";
    }

    /// <summary>A whole file; the counters are the ones xunit v3 writes (notExecuted always 0) unless given.</summary>
    public static string File(IEnumerable<string> results, int? total = null, int? passed = null, string runOutcome = "Completed")
    {
        var list = results.ToList();
        var text = new StringBuilder();
        text.AppendLine("""<?xml version="1.0" encoding="utf-8"?>""");
        text.AppendLine("""<TestRun id="f01adcf2-cba5-4620-a786-b0ffffa4227d" name="@vm" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">""");
        text.AppendLine("  <Results>");
        list.ForEach(r => text.AppendLine(r));
        text.AppendLine("  </Results>");
        var passedCount = passed ?? list.Count(r => r.Contains("outcome=\"Passed\"", StringComparison.Ordinal));
        var executed = list.Count(r => !r.Contains("outcome=\"NotExecuted\"", StringComparison.Ordinal));
        text.AppendLine($"""  <ResultSummary outcome="{runOutcome}">""");
        text.AppendLine($"""    <Counters total="{total ?? list.Count}" executed="{executed}" passed="{passedCount}" failed="{executed - passedCount}" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="0" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />""");
        text.AppendLine("  </ResultSummary>");
        text.AppendLine("</TestRun>");
        return text.ToString();
    }
}

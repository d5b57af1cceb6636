using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Formation.TestSummary;

/// <summary>
/// The results of one test project, read from the TRX file `dotnet test --logger trx` wrote. Each test is one
/// <c>UnitTestResult</c>; its <c>outcome</c> attribute is what counts (xunit v3 writes skipped tests as
/// <c>NotExecuted</c> but leaves the <c>notExecuted</c> counter at 0, so the counters cannot be summed). The counters'
/// <c>total</c> and <c>passed</c> are kept only to cross-check the results. <see cref="Problems"/> holds what makes
/// the file untrustworthy: missing, unreadable, a run that did not complete, or counts that disagree.
/// </summary>
public sealed class TrxFile
{
    private static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    /// <summary>Run outcomes of a run that reported every test it had (with or without failures).</summary>
    private static readonly HashSet<string> CompleteRuns = new(StringComparer.Ordinal) { "Completed", "Passed", "Failed", "Warning" };

    private TrxFile(string path, IReadOnlyList<TestResult> results, IReadOnlyList<string> problems)
    {
        Path = path;
        Results = results;
        Problems = problems;
    }

    public string Path { get; }

    /// <summary>The test project the file is for (the file name without .trx).</summary>
    public string Project => System.IO.Path.GetFileNameWithoutExtension(Path);

    public IReadOnlyList<TestResult> Results { get; }

    public IReadOnlyList<string> Problems { get; }

    public static TrxFile Load(string path)
    {
        if (!File.Exists(path))
        {
            return new TrxFile(path, [], [$"{path} is missing: the test run of this project ended before it wrote its results"]);
        }

        XDocument document;
        try
        {
            document = XDocument.Load(path);
        }
        catch (XmlException ex)
        {
            return new TrxFile(path, [], [$"{path} is not readable TRX ({ex.Message}): the test run was probably cut short"]);
        }

        return Read(path, document);
    }

    public static TrxFile Read(string path, XDocument document)
    {
        var problems = new List<string>();
        var root = document.Root;
        if (root is null || root.Name != Ns + "TestRun")
        {
            return new TrxFile(path, [], [$"{path} is not a TRX file (its root element is {root?.Name.LocalName ?? "missing"})"]);
        }

        var results = root.Elements(Ns + "Results").Elements(Ns + "UnitTestResult").Select(ReadResult).ToList();
        var summary = root.Element(Ns + "ResultSummary");
        var runOutcome = (string?)summary?.Attribute("outcome");
        if (runOutcome is null || !CompleteRuns.Contains(runOutcome))
        {
            problems.Add($"{path}: the test run ended '{runOutcome ?? "without a summary"}', so tests may be missing from it");
        }

        var counters = summary?.Element(Ns + "Counters");
        CrossCheck(path, "total", counters, results.Count, problems);
        CrossCheck(path, "passed", counters, results.Count(r => r.Outcome == TestOutcome.Passed), problems);
        return new TrxFile(path, results, problems);
    }

    private static void CrossCheck(string path, string counter, XElement? counters, int counted, List<string> problems)
    {
        var text = (string?)counters?.Attribute(counter);
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            problems.Add($"{path}: its Counters have no '{counter}' number to check the {counted} results against");
        }
        else if (value != counted)
        {
            problems.Add($"{path}: its Counters say {counter}={value} but it holds {counted} such test results");
        }
    }

    private static TestResult ReadResult(XElement element)
    {
        var raw = (string?)element.Attribute("outcome") ?? "(none)";
        var outcome = raw switch
        {
            "Passed" => TestOutcome.Passed,
            "NotExecuted" => TestOutcome.Skipped,
            _ => TestOutcome.Failed, // Failed, Error, Timeout, Aborted, Inconclusive, ...: none of them is a pass
        };
        var duration = TimeSpan.TryParse((string?)element.Attribute("duration"), CultureInfo.InvariantCulture, out var d) ? d : TimeSpan.Zero;
        var message = element.Element(Ns + "Output")?.Element(Ns + "ErrorInfo")?.Element(Ns + "Message")?.Value.Trim();
        return new TestResult((string?)element.Attribute("testName") ?? "(unnamed test)", outcome, raw, duration,
            string.IsNullOrEmpty(message) ? null : message);
    }
}

using System.Xml.Linq;

namespace Formation.TestSummary.Tests;

public sealed class TrxFileTests : IDisposable
{
    // Trimmed from the TRX `dotnet test --logger trx` wrote for Formation.Kvm.Native.Tests on a machine without /dev/kvm:
    // two tests skipped (outcome NotExecuted, reason in ErrorInfo/Message) while the notExecuted counter says 0.
    private const string XunitV3Sample = """
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun id="f01adcf2-cba5-4620-a786-b0ffffa4227d" name="@vm 2026-12-05 09:13:56" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>
            <UnitTestResult executionId="62cebaa0-f8de-4c68-864e-05bb9d50b198" testId="a124ffd2-88ae-e4c8-43a9-0081173affbf" testName="Formation.Kvm.Native.Tests.Machine.FormationVmmProcessTests.KernelMissing_ExitsWithUsageStatusNamingTheFile" computerName="vm" duration="00:00:00.4490921" startTime="2026-12-05T09:13:55.6746585+00:00" endTime="2026-12-05T09:13:56.1239193+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Passed" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="62cebaa0-f8de-4c68-864e-05bb9d50b198" />
            <UnitTestResult executionId="acf480b4-c998-4051-bb76-ffeabe3a8a97" testId="f7599cb1-e4b4-c180-79e7-d4ba1b5294bb" testName="Formation.Kvm.Native.Tests.Machine.FormationVmmProcessTests.MissingConfigArgument_ExitsWithUsageStatus" computerName="vm" duration="00:00:00.1613500" startTime="2026-12-05T09:13:55.5115292+00:00" endTime="2026-12-05T09:13:55.6737552+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="Passed" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="acf480b4-c998-4051-bb76-ffeabe3a8a97" />
            <UnitTestResult executionId="31041b17-d976-42fe-b594-10eef8bb0c57" testId="12de4805-6787-3191-a5d2-124986f5f88c" testName="Formation.Kvm.Native.Tests.Machine.FormationVmmProcessTests.GarbageKernel_ExitsWithSetupStatus" computerName="vm" duration="00:00:00.0010000" startTime="2026-12-05T09:13:55.4603308+00:00" endTime="2026-12-05T09:13:55.4868765+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="NotExecuted" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="31041b17-d976-42fe-b594-10eef8bb0c57">
              <Output>
                <ErrorInfo>
                  <Message>/dev/kvm cannot be opened read-write on this machine</Message>
                </ErrorInfo>
              </Output>
            </UnitTestResult>
            <UnitTestResult executionId="a93ce4ee-3241-4ca6-a937-64152b779871" testId="754558d8-a365-adce-4dbe-f1f32724f7f8" testName="Formation.Kvm.Native.Tests.Machine.FormationVmmProcessTests.ParentExits_VmmKeepsRunningUntilKilledOverTheSocket" computerName="vm" duration="00:00:00.0010000" startTime="2026-12-05T09:13:55.3425821+00:00" endTime="2026-12-05T09:13:55.4289793+00:00" testType="13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b" outcome="NotExecuted" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" relativeResultsDirectory="a93ce4ee-3241-4ca6-a937-64152b779871">
              <Output>
                <ErrorInfo>
                  <Message>/dev/kvm cannot be opened read-write on this machine</Message>
                </ErrorInfo>
              </Output>
            </UnitTestResult>
          </Results>
          <ResultSummary outcome="Completed">
            <Counters total="4" executed="2" passed="2" failed="0" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="0" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />
          </ResultSummary>
        </TestRun>
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("formation-trx-").FullName;

    [Fact]
    public void Load_XunitV3Sample_CountsNotExecutedResultsAsSkippedWithTheirReason()
    {
        var file = TrxFile.Load(Write("Formation.Kvm.Native.Tests.trx", "\uFEFF" + XunitV3Sample));

        Assert.Empty(file.Problems);
        Assert.Equal("Formation.Kvm.Native.Tests", file.Project);
        Assert.Equal(2, file.Results.Count(r => r.Outcome == TestOutcome.Passed));
        var skipped = file.Results.Where(r => r.Outcome == TestOutcome.Skipped).ToList();
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, r => Assert.Equal("/dev/kvm cannot be opened read-write on this machine", r.Message));
        Assert.Equal(TimeSpan.FromTicks(4490921), file.Results[0].Duration);
    }

    [Fact]
    public void Load_CountersTotalDisagreesWithResults_SaysSo()
    {
        var file = TrxFile.Load(Write("a.trx", Trx.File([Trx.Passed("A.One"), Trx.Passed("A.Two")], total: 3)));

        Assert.Contains(file.Problems, p => p.Contains("total=3 but it holds 2", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_CountersPassedDisagreesWithResults_SaysSo()
    {
        var file = TrxFile.Load(Write("a.trx", Trx.File([Trx.Passed("A.One"), Trx.Skipped("A.Two", "why")], passed: 2)));

        Assert.Contains(file.Problems, p => p.Contains("passed=2 but it holds 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_MissingFile_SaysTheRunEndedBeforeWritingIt()
    {
        var file = TrxFile.Load(Path.Combine(_dir, "Formation.Silo.Tests.trx"));

        Assert.Empty(file.Results);
        Assert.Contains("ended before it wrote its results", Assert.Single(file.Problems));
    }

    [Fact]
    public void Load_TruncatedFile_SaysItIsNotReadable()
    {
        var whole = Trx.File([Trx.Passed("A.One"), Trx.Passed("A.Two")]);

        var file = TrxFile.Load(Write("a.trx", whole[..(whole.Length / 2)]));

        Assert.Contains("not readable TRX", Assert.Single(file.Problems));
    }

    [Fact]
    public void Load_NotATrxFile_SaysSo()
    {
        var file = TrxFile.Load(Write("a.trx", "<html><body/></html>"));

        Assert.Contains("not a TRX file", Assert.Single(file.Problems));
    }

    [Theory]
    [InlineData("Aborted")]
    [InlineData("Error")]
    [InlineData("Timeout")]
    public void Load_RunThatDidNotComplete_SaysTestsMayBeMissing(string runOutcome)
    {
        var file = TrxFile.Load(Write("a.trx", Trx.File([Trx.Passed("A.One")], runOutcome: runOutcome)));

        Assert.Contains($"ended '{runOutcome}'", Assert.Single(file.Problems));
    }

    [Theory]
    [InlineData("Failed")]
    [InlineData("Timeout")]
    [InlineData("Error")]
    [InlineData("Aborted")]
    [InlineData("Inconclusive")]
    public void Load_AnyOutcomeButPassedOrNotExecuted_IsAFailure(string outcome)
    {
        var file = TrxFile.Load(Write("a.trx", Trx.File([Trx.Failed("A.One", "boom", outcome)], passed: 0)));

        var result = Assert.Single(file.Results);
        Assert.Equal(TestOutcome.Failed, result.Outcome);
        Assert.Equal(outcome, result.RawOutcome);
    }

    [Fact]
    public void Load_ReasonWithMarkupAndLines_IsReadWhole()
    {
        const string reason = "needs <root> & \"quotes\"\nsecond line";

        var file = TrxFile.Load(Write("a.trx", Trx.File([Trx.Skipped("A.One", reason)])));

        Assert.Equal(reason, Assert.Single(file.Results).Message);
    }

    [Fact]
    public void Read_ElementsOutsideTheTrxNamespace_AreNotCounted()
    {
        var document = XDocument.Parse("""<TestRun><Results><UnitTestResult testName="A" outcome="Passed" /></Results></TestRun>""");

        var file = TrxFile.Read("x.trx", document);

        Assert.Empty(file.Results);
        Assert.Contains("not a TRX file", Assert.Single(file.Problems));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

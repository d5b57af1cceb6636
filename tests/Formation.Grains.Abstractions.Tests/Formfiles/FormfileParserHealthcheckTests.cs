using Formation.Formfiles;
using Formation.Services;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

public sealed class FormfileParserHealthcheckTests
{
    private const string Head = "NAME web\nEXPOSE 8080 5432/tcp 53/udp\n";

    [Fact]
    public void Parse_NoHealthcheck_HasNone() => Assert.Null(FormfileAssert.Parses(Head).Health);

    [Theory]
    [InlineData("HEALTHCHECK http 8080 /healthz", 8080, "/healthz", 2.0, 3, 60.0)]
    [InlineData("HEALTHCHECK http 8080", 8080, "/", 2.0, 3, 60.0)]
    [InlineData("healthcheck HTTP 8080 /ok.html interval=1s start=15s", 8080, "/ok.html", 1.0, 3, 15.0)]
    [InlineData("HEALTHCHECK http 8080 interval=500ms threshold=5 start=2m", 8080, "/", 0.5, 5, 120.0)]
    [InlineData("HEALTHCHECK tcp 5432 interval=5 threshold=1 start=1h", 5432, null, 5.0, 1, 3600.0)]
    [InlineData("HEALTHCHECK http 8080 \"/a?b=c\" Interval=1.5s", 8080, "/a?b=c", 1.5, 3, 60.0)]
    public void Parse_Healthcheck_IsTheCheckWithDefaults(string line, int port, string? path, double interval, int threshold, double start)
    {
        var health = FormfileAssert.Parses(Head + line + "\n").Health;

        Assert.Equal(new HealthCheck(port, path, TimeSpan.FromSeconds(interval), threshold, TimeSpan.FromSeconds(start)), health);
        health!.Validate(); // whatever the parser accepts, a deploy accepts
    }

    [Fact]
    public void Parse_HealthcheckBeforeItsExpose_IsAccepted() =>
        Assert.Equal(8080, FormfileAssert.Parses("NAME web\nHEALTHCHECK tcp 8080\nEXPOSE 8080\n").Health!.Port);

    [Theory]
    [InlineData("HEALTHCHECK CMD curl -f http://localhost/", 13, FormfileDiagnosticCodes.InvalidValue, "Docker's form")]
    [InlineData("HEALTHCHECK none", 13, FormfileDiagnosticCodes.InvalidValue, "Docker's form")]
    [InlineData("HEALTHCHECK grpc 8080", 13, FormfileDiagnosticCodes.InvalidValue, "http or tcp")]
    [InlineData("HEALTHCHECK http", 17, FormfileDiagnosticCodes.MissingArgument, "needs the port")]
    [InlineData("HEALTHCHECK http interval=5s", 18, FormfileDiagnosticCodes.MissingArgument, "needs the port")]
    [InlineData("HEALTHCHECK http 0", 18, FormfileDiagnosticCodes.InvalidValue, "1 to 65535")]
    [InlineData("HEALTHCHECK http 70000", 18, FormfileDiagnosticCodes.InvalidValue, "1 to 65535")]
    [InlineData("HEALTHCHECK http web", 18, FormfileDiagnosticCodes.InvalidValue, "1 to 65535")]
    [InlineData("HEALTHCHECK http 8080 healthz", 23, FormfileDiagnosticCodes.InvalidValue, "must start with '/'")]
    [InlineData("HEALTHCHECK http 8080 \"/a b\"", 23, FormfileDiagnosticCodes.InvalidValue, "must start with '/'")]
    [InlineData("HEALTHCHECK tcp 5432 /x", 22, FormfileDiagnosticCodes.InvalidValue, "takes no path")]
    [InlineData("HEALTHCHECK http 8080 / intervl=5s", 25, FormfileDiagnosticCodes.InvalidValue, "unknown HEALTHCHECK option")]
    [InlineData("HEALTHCHECK http 8080 / retries=3", 25, FormfileDiagnosticCodes.InvalidValue, "unknown HEALTHCHECK option")]
    [InlineData("HEALTHCHECK http 8080 / interval=0", 34, FormfileDiagnosticCodes.InvalidValue, "0.5s to 5m")]
    [InlineData("HEALTHCHECK http 8080 / interval=100ms", 34, FormfileDiagnosticCodes.InvalidValue, "0.5s to 5m")]
    [InlineData("HEALTHCHECK http 8080 / interval=6m start=1h", 34, FormfileDiagnosticCodes.InvalidValue, "0.5s to 5m")]
    [InlineData("HEALTHCHECK http 8080 / interval=-1s", 34, FormfileDiagnosticCodes.InvalidValue, "0.5s to 5m")]
    [InlineData("HEALTHCHECK http 8080 / interval=5x", 34, FormfileDiagnosticCodes.InvalidValue, "0.5s to 5m")]
    [InlineData("HEALTHCHECK http 8080 / interval=1e9", 34, FormfileDiagnosticCodes.InvalidValue, "0.5s to 5m")]
    [InlineData("HEALTHCHECK http 8080 / threshold=0", 35, FormfileDiagnosticCodes.InvalidValue, "1 to 20")]
    [InlineData("HEALTHCHECK http 8080 / threshold=21", 35, FormfileDiagnosticCodes.InvalidValue, "1 to 20")]
    [InlineData("HEALTHCHECK http 8080 / start=2h", 31, FormfileDiagnosticCodes.InvalidValue, "up to 1h")]
    [InlineData("HEALTHCHECK http 8080 / start=0s", 31, FormfileDiagnosticCodes.InvalidValue, "up to 1h")]
    [InlineData("HEALTHCHECK http 8080 / interval=10s start=5s", 38, FormfileDiagnosticCodes.Conflict, "shorter than its interval")]
    [InlineData("HEALTHCHECK http 8080 / interval=2m", 25, FormfileDiagnosticCodes.Conflict, "shorter than its interval")]
    [InlineData("HEALTHCHECK http 8080 / threshold=2 threshold=3", 37, FormfileDiagnosticCodes.Duplicate, "more than once")]
    [InlineData("HEALTHCHECK http 8081", 18, FormfileDiagnosticCodes.Conflict, "port 8081 is not EXPOSEd over tcp (EXPOSEd: 8080, 5432)")]
    [InlineData("HEALTHCHECK tcp 53", 17, FormfileDiagnosticCodes.Conflict, "port 53 is not EXPOSEd over tcp")]
    public void Parse_BadHealthcheck_IsOneErrorAtTheWrongPart(string line, int column, string code, string message)
    {
        var error = FormfileAssert.FailsOnce(Head + line + "\n");

        Assert.Equal((3, column, code), (error.Line, error.Column, error.Code));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Parse_HealthcheckWithoutAnyExpose_SaysSoAndSuggestsTheExpose()
    {
        var error = FormfileAssert.FailsOnce("NAME web\nHEALTHCHECK http 8080 /healthz\n");

        Assert.Equal((2, 18), (error.Line, error.Column));
        Assert.Contains("EXPOSEs no tcp port", error.Message);
        Assert.Contains("EXPOSE 8080/tcp", error.Suggestion);
    }

    [Fact]
    public void Parse_HealthcheckTwice_IsADuplicate()
    {
        var error = FormfileAssert.FailsOnce(Head + "HEALTHCHECK tcp 8080\nHEALTHCHECK tcp 5432\n");

        Assert.Equal((4, 1, FormfileDiagnosticCodes.Duplicate), (error.Line, error.Column, error.Code));
    }

    [Fact]
    public void Parse_HealthcheckOnContinuedLines_PointsAtTheSourceLine()
    {
        var error = FormfileAssert.FailsOnce(Head + "HEALTHCHECK http 8080 /healthz \\\n    threshold=99\n");

        Assert.Equal((4, 15), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_HealthLine_SuggestsHealthcheck() =>
        Assert.Contains("HEALTHCHECK", FormfileAssert.FailsOnce("NAME a\nHEALTH http 80\n").Suggestion);
}

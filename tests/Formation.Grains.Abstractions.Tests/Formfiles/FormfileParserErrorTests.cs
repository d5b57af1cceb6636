using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

public class FormfileParserErrorTests
{
    [Theory]
    [InlineData("RUNN echo", "RUN")]
    [InlineData("ENTRYPIONT [\"a\"]", "ENTRYPOINT")]
    [InlineData("CMD [\"a\"]", "ENTRYPOINT")]
    [InlineData("ADD x /x", "COPY")]
    [InlineData("MEMROY 512", "MEMORY")]
    [InlineData("WRKDIR /app", "WORKDIR")]
    [InlineData("LABEL x", "DESCRIPTION")]
    [InlineData("EXPOS 80", "EXPOSE")]
    public void Parse_UnknownDirective_SuggestsNearestDirective(string line, string suggested)
    {
        var error = FormfileAssert.FailsOnce("NAME app\n\n" + line, "dir/Formfile");
        Assert.Equal(FormfileDiagnosticCodes.UnknownDirective, error.Code);
        Assert.Equal((3, 1), (error.Line, error.Column));
        Assert.Contains($"'{suggested}'", error.Suggestion);
        Assert.StartsWith("dir/Formfile:3:1: error FF001: unknown directive", error.ToString());
    }

    [Fact]
    public void Parse_UnknownDirectiveFarFromAll_ListsDirectives()
    {
        var error = FormfileAssert.FailsOnce("NAME app\n  XYZZYQQ 1");
        Assert.Equal((2, 3), (error.Line, error.Column));
        Assert.Contains("ENTRYPOINT", error.Suggestion);
    }

    [Theory]
    [InlineData("VCPU 0", "1 to 128")]
    [InlineData("VCPU 129", "1 to 128")]
    [InlineData("VCPU two", "1 to 128")]
    [InlineData("VCPU -1", "1 to 128")]
    [InlineData("VCPU 99999999999999", "1 to 128")]
    [InlineData("MEM 32", "64 to 256000")]
    [InlineData("MEM 300000", "64 to 256000")]
    [InlineData("MEM 2X", "64 to 256000")]
    [InlineData("DISK 0", "1 to 65535")]
    [InlineData("DISK 65536", "1 to 65535")]
    [InlineData("DISK 512M", "1 to 65535")]
    public void Parse_ResourceOutOfRange_StatesTheLimits(string line, string limits)
    {
        var error = FormfileAssert.FailsOnce("NAME app\n" + line);
        Assert.Equal(FormfileDiagnosticCodes.InvalidValue, error.Code);
        Assert.Contains(limits, error.Message);
        Assert.Equal((2, line.IndexOf(' ') + 2), (error.Line, error.Column));
    }

    [Theory]
    [InlineData("GPU A100", "known models")]
    [InlineData("GPU H100:9", "1 to 8")]
    [InlineData("GPU H100:0", "1 to 8")]
    [InlineData("EXPOSE 0", "1 to 65535")]
    [InlineData("EXPOSE 80/sctp", "tcp or udp")]
    [InlineData("FROM ubuntu:22.04", "debian:bookworm")]
    [InlineData("NAME two words", "exactly one")]
    [InlineData("WORKDIR app", "absolute")]
    [InlineData("WORKDIR /app/../etc", "absolute")]
    [InlineData("MODEL llama", "required:")]
    [InlineData("ENV 1BAD=x", "not a valid variable name")]
    [InlineData("ENV A=1 B", "KEY=value")]
    [InlineData("ENV --scope=global A=1", "system, user:<name> or service:<name>")]
    [InlineData("ENV --scop=system A=1", "no option")]
    [InlineData("INSTALL Python3", "not a valid Debian package")]
    [InlineData("INSTALL -y curl", "apt options")]
    [InlineData("COPY --chown=u:g a /a", "no option")]
    [InlineData("COPY onlyone", "source and a destination")]
    [InlineData("ENTRYPOINT [\"python3\", 'x']", "JSON")]
    [InlineData("ENTRYPOINT [1, 2]", "array of strings")]
    [InlineData("COPY \"my file /app", "unterminated quote")]
    public void Parse_InvalidArgument_ExplainsWhatIsExpected(string line, string expected)
    {
        var text = line.StartsWith("NAME") ? line : "NAME app\n" + line;
        var error = FormfileAssert.FailsOnce(text);
        Assert.Contains(expected, error.Message);
        Assert.Equal(line.StartsWith("NAME") ? 1 : 2, error.Line);
    }

    [Fact]
    public void Parse_UnterminatedQuoteInUser_PointsAtTheQuote()
    {
        var error = FormfileAssert.FailsOnce("NAME app\nUSER username:dev passwd:\"abc");
        Assert.Equal(FormfileDiagnosticCodes.Syntax, error.Code);
        Assert.Equal((2, 26), (error.Line, error.Column));
    }

    [Theory]
    [InlineData("COPY /etc/passwd /x", 6, "absolute")]
    [InlineData("COPY ../secret /x", 6, "leaves the build context")]
    [InlineData("COPY ok a/../../b /x", 9, "leaves the build context")]
    [InlineData("COPY *.py /x", 6, "wildcard")]
    [InlineData("COPY ~/x /x", 6, "absolute")]
    public void Parse_CopyOutsideContext_IsUnsafePath(string line, int column, string message)
    {
        var error = FormfileAssert.FailsOnce("NAME app\n" + line);
        Assert.Equal(FormfileDiagnosticCodes.UnsafePath, error.Code);
        Assert.Equal((2, column), (error.Line, error.Column));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("RUN", 4)]
    [InlineData("COPY   ", 5)]
    [InlineData("VCPU", 5)]
    public void Parse_DirectiveWithoutArgument_IsMissingArgument(string line, int column)
    {
        var error = FormfileAssert.FailsOnce("NAME app\n" + line);
        Assert.Equal(FormfileDiagnosticCodes.MissingArgument, error.Code);
        Assert.Equal((2, column), (error.Line, error.Column));
        Assert.StartsWith("e.g. ", error.Suggestion);
    }

    [Fact]
    public void Parse_NoName_IsRequired()
    {
        var error = FormfileAssert.FailsOnce("VCPU 1");
        Assert.Equal(FormfileDiagnosticCodes.Required, error.Code);
        Assert.Equal((1, 1), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_InstallOnTiny_Conflicts()
    {
        var error = FormfileAssert.FailsOnce("NAME app\nFROM tiny\nRUN true\nINSTALL curl");
        Assert.Equal(FormfileDiagnosticCodes.Conflict, error.Code);
        Assert.Equal((4, 1), (error.Line, error.Column));
        Assert.Contains("FROM debian:bookworm", error.Suggestion);
    }

    [Theory]
    [InlineData("VCPU 1\nVCPU 2")]
    [InlineData("FROM tiny\nFROM tiny")]
    [InlineData("MEM 512\nMEMORY 1024")]
    public void Parse_OnceOnlyDirectiveRepeated_IsDuplicateAtSecond(string lines)
    {
        var error = FormfileAssert.FailsOnce("NAME app\n" + lines);
        Assert.Equal(FormfileDiagnosticCodes.Duplicate, error.Code);
        Assert.Equal(3, error.Line);
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void Parse_SeveralErrors_ReportsAllInOrder()
    {
        var result = FormfileParser.Parse("NAME app\nVCPU 0\nBOGUS\nMEM x\n");
        Assert.Equal([2, 3, 4], result.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Parse_TooLarge_IsRejected()
    {
        var result = FormfileParser.Parse("NAME app\n" + new string('#', FormfileParser.MaxLength));
        Assert.Equal(FormfileDiagnosticCodes.TooLarge, Assert.Single(result.Errors).Code);
    }
}

using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

public class FormfileParserContinuationTests
{
    [Fact]
    public void Parse_BackslashContinuation_JoinsLines()
    {
        var f = FormfileAssert.Parses("NAME app\nRUN apt-get update && \\\n    echo done\nVCPU 2");
        Assert.Equal("apt-get update &&     echo done", Assert.IsType<RunInstruction>(f.Instructions[0]).Command);
        Assert.Equal(2, f.Resources.Vcpu);
    }

    [Fact]
    public void Parse_ContinuationWithTrailingSpacesAndCrLf_StillContinues()
    {
        var f = FormfileAssert.Parses("NAME app\r\nINSTALL curl \\   \r\n  git\r\n");
        Assert.Equal(["curl", "git"], Assert.IsType<InstallInstruction>(f.Instructions[0]).Packages);
    }

    [Fact]
    public void Parse_CommentInsideContinuation_IsSkipped()
    {
        var f = FormfileAssert.Parses("NAME app\nEXPOSE 80 \\\n# https next\n  443");
        Assert.Equal(2, f.ExposedPorts.Length);
    }

    [Fact]
    public void Parse_DirectiveOnContinuationLine_ErrorPointsAtPhysicalLine()
    {
        var error = FormfileAssert.FailsOnce("NAME app\nUSER username:dev \\\n     passwd:x \\\n     sudo:perhaps");
        Assert.Equal((4, 11), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_ContinuationAtEndOfFile_IsAnError()
    {
        var error = FormfileAssert.FailsOnce("NAME app\nRUN echo \\\n# only a comment follows");
        Assert.Equal(FormfileDiagnosticCodes.DanglingContinuation, error.Code);
        Assert.Equal((2, 10), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_BackslashInsideLine_IsKeptLiterally()
    {
        var f = FormfileAssert.Parses("NAME app\nRUN printf 'a\\nb' > /x");
        Assert.Equal("printf 'a\\nb' > /x", Assert.IsType<RunInstruction>(f.Instructions[0]).Command);
    }
}

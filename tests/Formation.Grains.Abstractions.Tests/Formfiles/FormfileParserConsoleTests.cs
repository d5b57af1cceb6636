using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

public sealed class FormfileParserConsoleTests
{
    [Theory]
    [InlineData("NAME a\n", ConsoleMode.Shell)]
    [InlineData("NAME a\nCONSOLE shell\n", ConsoleMode.Shell)]
    [InlineData("NAME a\nCONSOLE none\n", ConsoleMode.None)]
    [InlineData("NAME a\nconsole NONE\n", ConsoleMode.None)]
    public void Parse_Console_DefaultsToShell(string text, ConsoleMode expected) =>
        Assert.Equal(expected, FormfileAssert.Parses(text).Console);

    [Fact]
    public void Parse_ConsoleWithAnUnknownMode_IsAnErrorAtTheValue()
    {
        var error = FormfileAssert.FailsOnce("NAME a\nCONSOLE bash\n");

        Assert.Equal((2, 9, FormfileDiagnosticCodes.InvalidValue), (error.Line, error.Column, error.Code));
        Assert.Contains("'shell'", error.Message);
    }

    [Fact]
    public void Parse_ConsoleTwice_IsADuplicate() =>
        Assert.Equal(FormfileDiagnosticCodes.Duplicate, FormfileAssert.FailsOnce("NAME a\nCONSOLE none\nCONSOLE shell\n").Code);

    [Fact]
    public void Parse_GettyLine_SuggestsConsole() =>
        Assert.Contains("CONSOLE", FormfileAssert.FailsOnce("NAME a\nGETTY ttyS0\n").Suggestion);
}

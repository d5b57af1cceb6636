using Formation.Formfiles;

namespace Formation.Grains.Abstractions.Tests.Formfiles;

/// <summary>Parse helpers that show every diagnostic when an expectation fails.</summary>
internal static class FormfileAssert
{
    public static Formfile Parses(string text, string file = "Formfile")
    {
        var result = FormfileParser.Parse(text, file);
        Assert.True(result.Succeeded, "expected success, got:\n" + string.Join("\n", result.Diagnostics));
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return result.Formfile!;
    }

    /// <summary>Asserts exactly one error and returns it.</summary>
    public static FormfileDiagnostic FailsOnce(string text, string file = "Formfile")
    {
        var result = FormfileParser.Parse(text, file);
        Assert.False(result.Succeeded);
        Assert.Null(result.Formfile);
        var errors = result.Errors.ToList();
        Assert.True(errors.Count == 1, "expected one error, got:\n" + string.Join("\n", result.Diagnostics));
        var error = errors[0];
        Assert.Equal(file, error.File);
        Assert.True(error.Line >= 1 && error.Column >= 1);
        Assert.False(string.IsNullOrWhiteSpace(error.Suggestion), $"no suggestion in: {error}");
        return error;
    }
}

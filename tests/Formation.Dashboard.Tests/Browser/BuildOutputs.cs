namespace Formation.Dashboard.Tests.Browser;

/// <summary>
/// Programs these tests start as processes, run from their own build output: this test assembly shares ASP.NET Core's
/// framework, whose copies of Microsoft.Extensions.* are left out of its bin, so formation-silo cannot run from here.
/// </summary>
public static class BuildOutputs
{
    /// <summary>The file <paramref name="file"/> in <paramref name="project"/>/bin/CONFIGURATION/TFM, as this assembly was built.</summary>
    public static string Of(string project, string file)
    {
        var testBin = AppContext.BaseDirectory.TrimEnd('/');
        const string marker = "/tests/Formation.Dashboard.Tests/bin/";
        var at = testBin.IndexOf(marker, StringComparison.Ordinal);
        var path = at < 0
            ? Path.Combine(testBin, file)
            : Path.Combine(testBin[..at], project, "bin", testBin[(at + marker.Length)..], file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{file} is not built at {path}; build Formation.sln first.");
    }

    /// <summary>Options for a silo process run from Silo/bin.</summary>
    public static SiloProcessOptions Silo(string nodeId, string dataDirectory) =>
        new(nodeId, dataDirectory) { Executable = Of("Silo", "formation-silo.dll") };
}

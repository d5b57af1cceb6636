namespace Formation.Dashboard.Tests.Browser;

/// <summary>
/// Programs started as processes by the dashboard tests and benchmark, run from their own build output: a test assembly
/// that shares ASP.NET Core's framework leaves Microsoft.Extensions.* out of its bin, so formation-silo cannot run from
/// there, and the dashboard needs its static web assets manifest and xterm files.
/// </summary>
public static class BuildOutputs
{
    /// <summary><paramref name="file"/> in <paramref name="project"/>/bin/CONFIGURATION/TFM, the configuration this assembly was built in.</summary>
    public static string Of(string project, string file)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var (framework, configuration) = (bin.Name, bin.Parent!.Name);
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Formation.sln")))
        {
            root = root.Parent;
        }

        var path = root is null
            ? Path.Combine(bin.FullName, file)
            : Path.Combine(root.FullName, project, "bin", configuration, framework, file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{file} is not built at {path}; build Formation.sln first.");
    }

    /// <summary>Options for a silo process run from Silo/bin.</summary>
    public static Formation.Testing.SiloProcessOptions Silo(string nodeId, string dataDirectory) =>
        new(nodeId, dataDirectory) { Executable = Of("Silo", "formation-silo.dll") };
}

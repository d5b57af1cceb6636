namespace Formation.Testing;

/// <summary>Finds files of the repository from the test's output directory.</summary>
internal static class RepositoryPaths
{
    /// <summary>The directory holding Formation.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Formation.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Formation.sln above '{AppContext.BaseDirectory}': run the tests from the repository.");
    }
}

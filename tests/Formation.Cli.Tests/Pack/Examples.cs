namespace Formation.Cli.Tests.Pack;

/// <summary>The example Formfiles shipped in the repository (Silo/Pack/Examples).</summary>
internal static class Examples
{
    public static string TinyHello => Path.Combine(RepositoryRoot, "Silo", "Pack", "Examples", "tiny-hello");

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Formation.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("the test is not running inside the repository (no Formation.sln above " + AppContext.BaseDirectory + ")");
        }
    }
}

namespace Formation.Silo.Tests.Metrics;

/// <summary>The /proc and cgroup files captured (or written after the kernel's documentation) under Metrics/Fixtures.</summary>
internal static class Fixture
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Metrics", "Fixtures", name);

    public static string Read(string name) => File.ReadAllText(Path(name));
}

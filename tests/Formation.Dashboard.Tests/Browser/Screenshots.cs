using Microsoft.Playwright;

namespace Formation.Dashboard.Tests.Browser;

/// <summary>Saves page screenshots as test artifacts under artifacts/dashboard-screenshots in the repository.</summary>
public static class Screenshots
{
    public static string Directory { get; } = Find();

    public static async Task<string> SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Formation.sln")))
        {
            dir = dir.Parent;
        }

        var root = dir?.FullName ?? Path.GetTempPath();
        var path = Path.Combine(root, "artifacts", "dashboard-screenshots");
        System.IO.Directory.CreateDirectory(path);
        return path;
    }
}

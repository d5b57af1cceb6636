using Microsoft.Playwright;

namespace Formation.Dashboard.Tests.Browser;

/// <summary>
/// Debian's chromium (scripts/apt-packages.txt) driven by Playwright. Playwright's own browser download cannot work
/// here, so it is pointed at /usr/bin/chromium; its node driver ships inside the Microsoft.Playwright package.
/// </summary>
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>Flags that work on a headless build machine (no GPU, no sandbox for root, no network chatter).</summary>
    public static readonly IReadOnlyList<string> Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    /// <summary>Why chromium cannot be used here, or null.</summary>
    public static string? Missing => File.Exists(ExecutablePath) ? null : $"{ExecutablePath} is missing: apt-get install chromium (scripts/apt-packages.txt lists it)";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (Missing is { } missing)
        {
            throw new InvalidOperationException(missing);
        }

        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Flags,
        });
        return (playwright, browser);
    }

    /// <summary>A page at 1280×720 (the size the dashboard must read well at) with a fresh context (its own profile).</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser, bool dark = false)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);

        // Expect's own default is 5 s, which a loaded 2-core CI machine can exceed before the first render; how
        // fast the dashboard is gets measured by bench/Dashboard, not by these waits.
        Assertions.SetDefaultExpectTimeout(30_000);
        return page;
    }
}

using Microsoft.Playwright;

namespace Formation.Dashboard.Tests.Browser;

/// <summary>
/// What a browser journey runs: a silo process, a dashboard process pointed at it, and chromium with one page at
/// 1280×720. Everything is stopped when the test ends; <see cref="DisposeHostAsync"/> cleans up what the silo left.
/// </summary>
public abstract class BrowserJourney : IAsyncLifetime
{
    protected string Scratch { get; } = Path.Combine(Path.GetTempPath(), $"formation-dashboard-{Guid.NewGuid():N}");

    protected SiloProcess? Silo { get; set; }

    protected DashboardProcess? Dashboard { get; private set; }

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IPage? _page;

    /// <summary>Starts the silo, the dashboard and the browser; returns the page.</summary>
    protected async Task<IPage> StartAsync(SiloProcessOptions silo)
    {
        Silo = await SiloProcess.StartAsync(silo);
        Dashboard = await DashboardProcess.StartAsync(Silo.Gateway);
        (_playwright, _browser) = await Chromium.LaunchAsync();
        _page = await Chromium.NewPageAsync(_browser);
        return _page;
    }

    protected static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    /// <summary>Runs after the silo stopped: VM processes, links, files it may have left.</summary>
    protected virtual void DisposeHost()
    {
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await SaveFailureAsync();
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Dashboard is not null)
        {
            await Dashboard.DisposeAsync();
        }

        if (Silo is not null)
        {
            await Silo.DisposeAsync();
            DisposeHost();
        }

        if (Directory.Exists(Scratch))
        {
            Directory.Delete(Scratch, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// A journey that failed leaves what the browser showed at that moment (failed-TEST.png and .html) next to the
    /// other screenshots, and the dashboard's log in the test output: a flake seen once in CI can then be read.
    /// </summary>
    private async Task SaveFailureAsync()
    {
        if (_page is null || TestContext.Current.TestState?.Result != TestResult.Failed)
        {
            return;
        }

        var name = "failed-" + (TestContext.Current.TestMethod?.MethodName ?? GetType().Name);
        try
        {
            var path = await Screenshots.SaveAsync(_page, name);
            await File.WriteAllTextAsync(Path.ChangeExtension(path, ".html"), await _page.ContentAsync());
            TestContext.Current.TestOutputHelper?.WriteLine($"the page when the test failed: {path}");
        }
        catch (PlaywrightException ex)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"no screenshot of the failure: {ex.Message}");
        }

        if (Dashboard is not null)
        {
            TestContext.Current.TestOutputHelper?.WriteLine("dashboard log:\n" + Dashboard.Output);
        }
    }
}

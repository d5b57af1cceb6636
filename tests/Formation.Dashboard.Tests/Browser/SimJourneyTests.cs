using Microsoft.Playwright;

namespace Formation.Dashboard.Tests.Browser;

/// <summary>
/// The dashboard in a real browser (Debian's chromium) against a real silo (sim driver): every page renders, a VM is
/// created through the dialog and goes Running without a reload, the node's and the VM's metrics are charted from the silo's history, a fabric error shows as a message, stop and delete
/// ask first and take effect live, the theme switches, and a silo that dies and comes back shows a banner that goes
/// away by itself. Screenshots of each page go to artifacts/dashboard-screenshots.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SimJourneyTests : BrowserJourney
{
    [Fact]
    public async Task Journey_CreateStopDelete_LiveWithoutReload_AndRecoversFromALostSilo()
    {
        Prerequisites.Require(Chromium.Missing is null, Chromium.Missing ?? "");
        var options = BuildOutputs.Silo("dash-sim", Path.Combine(Scratch, "data"));
        var page = await StartAsync(options);

        await page.GotoAsync(Dashboard!.Url + "/");
        await Expect(page.GetByTestId("card-nodes")).ToContainTextAsync("1");
        await Expect(page.GetByTestId("connection-chip")).ToContainTextAsync("connected");
        await Screenshots.SaveAsync(page, "overview");

        await page.GotoAsync(Dashboard!.Url + "/vms");
        await Expect(page.GetByTestId("vm-count")).ToContainTextAsync("0 VMs");
        await page.GetByTestId("create-vm").FocusAsync();
        await page.Keyboard.PressAsync("Enter"); // reachable and usable from the keyboard
        await page.GetByLabel("Name").FillAsync("web-1");
        await page.GetByTestId("create-submit").ClickAsync();
        var row = page.Locator("tr.vm-row", new PageLocatorOptions { HasText = "web-1" });
        await Expect(row.Locator("[data-state=Running]")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "vms");

        // A request the cluster refuses: the dialog says why, and the circuit lives on.
        await page.GetByTestId("create-vm").ClickAsync();
        await page.GetByLabel("Name").FillAsync("web-1");
        await page.GetByTestId("create-submit").ClickAsync();
        await Expect(page.GetByTestId("create-error")).ToContainTextAsync("web-1");
        await Screenshots.SaveAsync(page, "vms-create-error");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Cancel" }).ClickAsync();

        await row.Locator("[data-action=stop]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Stop", Exact = true }).ClickAsync();
        await Expect(row.Locator("[data-state=Stopped]")).ToBeVisibleAsync();

        await row.GetByTestId("vm-link").ClickAsync();
        await Expect(page.GetByTestId("vm-facts")).ToContainTextAsync("dash-sim");
        await Expect(page.GetByTestId("vm-timeline")).ToContainTextAsync("Stopped");
        await Screenshots.SaveAsync(page, "vm-detail");

        // Metrics charts from the silo's own history: the VM's once its node has sampled it (every 10 s, the page polls),
        // the node's at once (it samples when it starts).
        var vmCpu = page.Locator("[data-testid=metric-chart][data-metric=cpu]");
        await Expect(vmCpu).ToContainTextAsync("of 1 vCPU", new() { Timeout = 30_000 });
        await page.GotoAsync(Dashboard!.Url + "/nodes/dash-sim");
        var nodeCpu = page.Locator("[data-testid=metric-chart][data-metric=cpu]");
        await Expect(nodeCpu.GetByTestId("metric-current")).ToContainTextAsync("% of");
        await Expect(nodeCpu.Locator("path.mud-chart-serie")).ToHaveCountAsync(1);
        Assert.True(int.Parse(await nodeCpu.GetAttributeAsync("data-samples") ?? "0") >= 1);
        await Expect(page.Locator("[data-testid=metric-chart]")).ToHaveCountAsync(5);
        await page.Locator("[data-testid=metric-chart][data-metric=disk]").ScrollIntoViewIfNeededAsync();
        await Screenshots.SaveAsync(page, "node-detail-metrics");

        foreach (var (path, name, marker) in new[] { ("/nodes", "nodes", "node-table"), ("/images", "images", "image-table"), ("/events", "events", "event-table") })
        {
            await page.GotoAsync(Dashboard!.Url + path);
            await Expect(page.GetByTestId(marker)).ToBeVisibleAsync();
            await Screenshots.SaveAsync(page, name);
        }

        await Expect(page.GetByTestId("event-table")).ToContainTextAsync("web-1");
        await page.GetByTestId("theme-toggle").ClickAsync();
        await Screenshots.SaveAsync(page, "events-dark");

        await page.GotoAsync(Dashboard!.Url + "/vms");
        await row.Locator("[data-action=delete]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);

        // The silo dies: a banner says so; it comes back: the banner goes and the page works again, no reload.
        await Silo!.KillAsync();
        await Expect(page.GetByTestId("connection-banner")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Screenshots.SaveAsync(page, "connection-lost");
        Silo = await SiloProcess.StartAsync(options);
        await Expect(page.GetByTestId("connection-banner")).ToHaveCountAsync(0, new() { Timeout = 60_000 });
        await page.GetByTestId("create-vm").ClickAsync();
        await page.GetByLabel("Name").FillAsync("after-restart");
        await page.GetByTestId("create-submit").ClickAsync();
        await Expect(page.Locator("tr.vm-row", new PageLocatorOptions { HasText = "after-restart" }).Locator("[data-state=Running]")).ToBeVisibleAsync();
    }
}

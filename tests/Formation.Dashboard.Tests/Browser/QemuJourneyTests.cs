using Microsoft.Playwright;

namespace Formation.Dashboard.Tests.Browser;

/// <summary>
/// The whole way through a real browser with a real guest (qemu driver; TCG where there is no KVM): a Formfile error shown
/// at its line while typing, a failing RUN step marked at its line after a build, a tiny image built with live progress,
/// a VM created from it that goes Running without a reload, a command typed into its console whose output comes back,
/// its logs, then stop and delete. Screenshots go to artifacts/dashboard-screenshots.
/// </summary>
[Trait("Category", "Slow")]
public sealed class QemuJourneyTests : BrowserJourney
{
    private const string NodeId = "dash-qemu";

    [Fact]
    public async Task Journey_BuildImage_RunVm_TypeIntoItsConsole_StopAndDelete()
    {
        Prerequisites.Require(Chromium.Missing is null, Chromium.Missing ?? "");
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        Prerequisites.Require(File.Exists("/dev/net/tun"), "/dev/net/tun is missing: the qemu driver needs TAP devices");
        var page = await StartAsync(BuildOutputs.Silo(NodeId, Path.Combine(Scratch, "data")) with { Driver = "qemu" });
        var formfile = page.Locator("textarea").First;

        // A Formfile error is shown at its line and column as it is typed; nothing can be built.
        await page.GotoAsync(Dashboard!.Url + "/images/build");
        await formfile.FillAsync("NAME dash-bad\nFROM tiny\nRUNN echo hi\n");
        var finding = page.Locator("[data-testid=formfile-diagnostic][data-line='3']");
        await Expect(finding).ToContainTextAsync("line 3, column 1");
        await Expect(finding).ToContainTextAsync("unknown directive 'RUNN'");
        await Expect(page.GetByTestId("build-start")).ToBeDisabledAsync();
        await Screenshots.SaveAsync(page, "build-formfile-error");

        // A step that fails in the builder is marked at its Formfile line.
        await formfile.FillAsync("NAME dash-fails\nFROM tiny\nRUN echo about to fail; false\n");
        await Expect(page.GetByTestId("formfile-summary")).ToContainTextAsync("OK");
        await page.GetByTestId("build-start").ClickAsync();
        await Expect(page.GetByTestId("build-outcome")).ToContainTextAsync("Formfile line 3", new() { Timeout = 180_000 });
        await Expect(page.Locator("[data-testid=build-failure-line][data-line='3']")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "build-step-failed");

        // A good one builds with per-step progress.
        await formfile.FillAsync("NAME dash-hello\nFROM tiny\nEXPOSE 8080/tcp\nENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/etc\"]\n");
        await Expect(page.GetByTestId("formfile-summary")).ToContainTextAsync("OK");
        await page.GetByTestId("build-start").ClickAsync();
        await Expect(page.GetByTestId("build-outcome")).ToContainTextAsync("Built dash-hello:latest", new() { Timeout = 180_000 });
        await Expect(page.GetByTestId("build-step").First).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "build");

        // A VM from it: Running without a reload.
        await page.GotoAsync(Dashboard!.Url + "/vms");
        await page.GetByTestId("create-vm").ClickAsync();
        await page.GetByLabel("Name").FillAsync("hello-1");
        await page.GetByLabel("Image").FillAsync("dash-hello:latest");
        await page.GetByTestId("create-submit").ClickAsync();
        var row = page.Locator("tr.vm-row", new PageLocatorOptions { HasText = "hello-1" });
        await Expect(row.Locator("[data-state=Running]")).ToBeVisibleAsync(new() { Timeout = 240_000 });

        // Its console answers what is typed into the terminal.
        await row.GetByTestId("vm-link").ClickAsync();
        await Expect(page.GetByTestId("vm-ports")).ToContainTextAsync("8080/tcp");
        await Screenshots.SaveAsync(page, "vm-detail-running");
        await page.GetByRole(AriaRole.Tab, new PageGetByRoleOptions { Name = "Console" }).ClickAsync();
        var terminal = page.Locator(".xterm-rows");
        await Expect(terminal).ToContainTextAsync("FORMATION-GUEST-READY", new() { Timeout = 30_000 });
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(await terminal.InnerTextAsync()).Contains("dash-42", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the console shell did not answer within 90 s:\n" + await terminal.InnerTextAsync());
            await page.Locator(".xterm").ClickAsync();
            await page.Keyboard.TypeAsync("echo dash-$((6*7))");
            await page.Keyboard.PressAsync("Enter");
            // Type again if the guest's shell was not reading yet: wait for the answer, a few seconds at most.
            try
            {
                await Expect(terminal).ToContainTextAsync("dash-42", new() { Timeout = 5_000 });
            }
            catch (PlaywrightException)
            {
            }
        }

        await Screenshots.SaveAsync(page, "vm-console");

        // A command run from the Exec tab, through the guest agent: its output and exit code.
        await page.GetByRole(AriaRole.Tab, new PageGetByRoleOptions { Name = "Exec" }).ClickAsync();
        await page.Locator("#exec-command").FillAsync("hostname; echo exec-$((6*7)) >&2; exit 3");
        await page.GetByTestId("exec-run").ClickAsync();
        await Expect(page.GetByTestId("exec-output")).ToContainTextAsync("exec-42", new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("exec-output")).ToContainTextAsync("hello-1");
        await Expect(page.GetByTestId("exec-status")).ToContainTextAsync("exited with 3");
        await Screenshots.SaveAsync(page, "vm-exec");
        await page.GetByRole(AriaRole.Tab, new PageGetByRoleOptions { Name = "Logs" }).ClickAsync();
        await Expect(page.GetByTestId("vm-logs")).ToContainTextAsync("FORMATION-GUEST-READY");
        await Screenshots.SaveAsync(page, "vm-logs");

        // Stop and delete, each confirmed.
        await page.Locator("[data-action=stop]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Stop", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("vm-state")).ToContainTextAsync("Stopped", new() { Timeout = 120_000 });
        await page.Locator("[data-action=delete]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Delete", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(Dashboard!.Url + "/vms");
        await Expect(page.Locator("tr.vm-row", new PageLocatorOptions { HasText = "hello-1" })).ToHaveCountAsync(0, new() { Timeout = 60_000 });
    }

    protected override void DisposeHost()
    {
        foreach (var pidFile in Directory.EnumerateFiles(Scratch, "vm.pid", SearchOption.AllDirectories))
        {
            if (Formation.Silo.Platform.ProcessInfo.TryReadPid(pidFile, out var pid))
            {
                Formation.Silo.Platform.ProcessInfo.Kill(pid);
            }
        }

        NodeNetworkCleanup.Remove(NodeId);
    }
}

using System.Diagnostics;
using System.Net;
using Formation.Bench.Fabric;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Dashboard.Tests.Browser;
using Formation.Testing;
using Formation.Vms;
using Microsoft.Playwright;

namespace Formation.Bench.Dashboard;

/// <summary>
/// Time from navigation to the VMs page (a full page load: HTML, scripts, the Blazor circuit, the catalog read) until its
/// table shows the VMs and answers a filter, with N VMs on a sim-driver silo, in Debian's chromium. With prerendering off,
/// anything the page shows comes from the live circuit, so "rendered" is "interactive". Anchor, same browser, same run:
/// loading a static HTML page with the same N rows.
/// </summary>
public static class VmsPageBench
{
    public static async Task<int> RunAsync(int vms, int runs)
    {
        Console.WriteLine($"== dashboard vms page: {vms} VMs (sim driver, embedded mode), {runs} runs, chromium headless 1280x720");
        var dir = Path.Combine(Path.GetTempPath(), "formation-bench", $"dashboard-{Guid.NewGuid():N}");
        var options = BuildOutputs.Silo("bench-dash", Path.Combine(dir, "data")) with
        {
            Environment = new()
            {
                ["Formation__Capacity__VCpus"] = (vms * 2).ToString(),
                ["Formation__Capacity__MemoryMiB"] = (vms * 128L).ToString(),
                ["Formation__Capacity__DiskGiB"] = vms.ToString(),
            },
        };
        await using var silo = await SiloProcess.StartAsync(options);
        try
        {
            var names = await CreateVmsAsync(silo.Gateway, vms);
            await using var dashboard = await DashboardProcess.StartAsync(silo.Gateway);
            var (playwright, browser) = await Chromium.LaunchAsync();
            using var _ = playwright;
            await using var __ = browser;
            var page = await Chromium.NewPageAsync(browser);
            var anchorFile = WriteAnchor(dir, names);

            var load = new List<double>();
            var filter = new List<double>();
            var anchor = new List<double>();
            for (var i = -2; i < runs; i++) // two warm-up rounds: JIT in the dashboard, caches in the browser
            {
                var a = await TimeAsync(async () =>
                {
                    await page.GotoAsync("file://" + anchorFile);
                    await page.Locator("tr.vm-row").Nth(0).WaitForAsync();
                });
                var (l, f) = await VmsPageAsync(page, dashboard.Url, vms, names[^1]);
                if (i >= 0)
                {
                    anchor.Add(a);
                    load.Add(l);
                    filter.Add(f);
                }
            }

            await page.GetByPlaceholder("Filter: name, node, state, image, address").FillAsync("");
            await Assertions.Expect(page.Locator("tr.vm-row").Nth(10)).ToBeVisibleAsync();
            Console.WriteLine($"screenshot         {await Screenshots.SaveAsync(page, $"vms-{vms}")}");
            Console.WriteLine($"load average       {File.ReadAllText("/proc/loadavg").Trim()} (2 cores shared with other work: absolute times scale with it, the ratio less)");
            Console.WriteLine($"vms page           {Stats.Median(load),8:0} ms median from navigation to {vms} VMs shown, p90 {Stats.Percentile(load, 90):0} ms");
            Console.WriteLine($"  filter answer    {Stats.Median(filter),8:0} ms median from typing a name to the one matching row");
            Console.WriteLine($"anchor static page {Stats.Median(anchor),8:0} ms median (file:// HTML table of the same {vms} rows)");
            Console.WriteLine($"ratio              {Stats.Median(load) / Stats.Median(anchor),8:0.00} x anchor");
            Console.WriteLine($"goal               < 1000 ms: {(Stats.Median(load) < 1000 ? "met" : "NOT met")} (p90 {(Stats.Percentile(load, 90) < 1000 ? "met" : "NOT met")})");
            return 0;
        }
        finally
        {
            await silo.StopAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(double Load, double Filter)> VmsPageAsync(IPage page, string url, int vms, string last)
    {
        var sw = Stopwatch.StartNew();
        await page.GotoAsync(url + "/vms", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(page.GetByTestId("vm-count")).ToHaveTextAsync($"{vms} VMs", new() { Timeout = 30_000 });
        await page.Locator("tr.vm-row").Nth(0).WaitForAsync();
        var load = sw.Elapsed.TotalMilliseconds;

        sw.Restart();
        await page.GetByPlaceholder("Filter: name, node, state, image, address").FillAsync(last);
        await Assertions.Expect(page.Locator("tr.vm-row")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        return (load, sw.Elapsed.TotalMilliseconds);
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var sw = Stopwatch.StartNew();
        await action();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static async Task<List<string>> CreateVmsAsync(string gateway, int vms)
    {
        await using var connection = await ClusterConnection.ConnectAsync(
            new ConnectionSettings(gateway, null, "formation", "formation", TimeSpan.FromSeconds(10),
                SiloProcess.AdminCredentialFor(int.Parse(gateway[(gateway.LastIndexOf(':') + 1)..]))), CancellationToken.None);
        var catalog = connection.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var names = Enumerable.Range(0, vms).Select(i => $"bench-{i:D5}").ToList();
        var sw = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < vms)
            {
                await catalog.CreateVmAsync(new VmSpec(names[i], 1, 64, 0, null, null));
            }
        }));
        Console.WriteLine($"created            {vms} VMs in {sw.Elapsed.TotalSeconds:0.0} s");
        return names;
    }

    private static string WriteAnchor(string dir, IReadOnlyList<string> names)
    {
        var rows = string.Concat(names.Select(n =>
            $"<tr class=\"vm-row\"><td><a href=\"#\">{WebUtility.HtmlEncode(n)}</a></td><td>bench-dash</td><td>Running</td><td>1</td><td>64 MiB</td><td>-</td><td>10.77.0.2</td><td>1m</td></tr>"));
        var path = Path.Combine(dir, "anchor.html");
        File.WriteAllText(path, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>anchor</title></head><body><table><tbody>{rows}</tbody></table></body></html>");
        return path;
    }
}

using System.Text.Json;
using Formation.Silo.Tests.Deploy;
using Formation.Silo.Tests.Infrastructure;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// The mesh with real guests: three hosts simulated as network namespaces, each with its own silo on the qemu driver.
/// The image is built on host 1 only; VMs placed on hosts 2 and 3 make their nodes fetch it, and the guest on host 2
/// fetches a page from the guest on host 3 by address, through both hosts' bridges and the WireGuard overlay.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class QemuMeshTests(PostgresServer postgres)
{
    private const string Page = "served across the mesh";

    [Fact]
    [Trait("Category", "Slow")] // about 90-150 s: three silos in namespaces, an image fetched twice, two TCG guests
    public async Task ImageBuiltOnOneHost_RunsOnTwoOthers_AndTheirGuestsTalkAcrossTheMesh()
    {
        DeployFixture.RequireEnvironment();
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("qemu_mesh");
        await using var lab = await MeshLab.CreateAsync();
        foreach (var host in new[] { 1, 2, 3 })
        {
            await lab.AddHostAsync(host);
            await lab.StartSiloAsync(host, postgres, database, driver: "qemu");
        }

        string Diagnostics() => string.Join("\n", new[] { 1, 2, 3 }.Select(h => $"--- silo h{h}:\n{Tail(lab.Silo(h).Output)}"));

        using var context = new TestDirectory("qemu-mesh-context");
        Directory.CreateDirectory(Path.Combine(context.Path, "www"));
        await File.WriteAllTextAsync(Path.Combine(context.Path, "www", "index.html"), Page + "\n");
        await File.WriteAllTextAsync(Path.Combine(context.Path, "Formfile"), DeployFixture.WebFormfile);
        var build = await lab.FormAsync(database, "pack", "build", context.Path, "--node", lab.NodeId(1));
        Assert.True(build.ExitCode == 0, $"build on host 1: {build.Output}\n{Diagnostics()}");

        // Neither host 2 nor host 3 holds the image: each create makes its node fetch it from host 1 first.
        var addresses = new Dictionary<int, string>();
        foreach (var host in new[] { 2, 3 })
        {
            var create = await lab.FormAsync(database, "vm", "create", "--name", $"web-h{host}", "--vcpus", "1", "--memory", "256",
                "--disk", "1", "--image", "web", "--node", lab.NodeId(host), "--json");
            Assert.True(create.ExitCode == 0, $"create on host {host}: {create.Output}\n{Diagnostics()}");
            var show = await lab.FormAsync(database, "vm", "show", $"web-h{host}", "--json");
            Assert.True(show.ExitCode == 0, show.Output);
            using var shown = JsonDocument.Parse(JsonPart(show.Output));
            var vm = shown.RootElement.GetProperty("vm");
            Assert.Equal(lab.NodeId(host), vm.GetProperty("nodeId").GetString());
            Assert.Equal("running", vm.GetProperty("state").GetString());
            addresses[host] = vm.GetProperty("address").GetString()!;
            await lab.Silo(host).WaitForOutputAsync(o => o.Contains($"fetched from node {lab.NodeId(1)}", StringComparison.Ordinal),
                $"that host {host} fetched the image from host 1", TimeSpan.FromSeconds(10));
        }

        // The guest on host 2 fetches the page of the guest on host 3 by its address, and pings it. (Busybox wget's -T
        // crashes in Debian's busybox 1.35, so the exec's own --timeout bounds each try.)
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        (int ExitCode, string Output) fetch;
        do
        {
            fetch = await lab.FormAsync(database, "vm", "exec", "web-h2", "--timeout", "15", "--", "wget", "-q", "-O", "-", $"http://{addresses[3]}:8080/");
        }
        while (!fetch.Output.Contains(Page, StringComparison.Ordinal) && DateTime.UtcNow < deadline && await Delay());

        Assert.True(fetch.ExitCode == 0 && fetch.Output.Contains(Page, StringComparison.Ordinal),
            $"guest on host 2 fetching {addresses[3]}:8080 ({fetch.ExitCode}): {fetch.Output}\n{Diagnostics()}");
        var ping = await lab.FormAsync(database, "vm", "exec", "web-h3", "--timeout", "15", "--", "ping", "-c", "1", "-W", "3", addresses[2]);
        Assert.True(ping.ExitCode == 0, $"guest on host 3 pinging {addresses[2]}: {ping.Output}");

        foreach (var host in new[] { 2, 3 })
        {
            var delete = await lab.FormAsync(database, "vm", "delete", $"web-h{host}");
            Assert.True(delete.ExitCode == 0, delete.Output);
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(TimeSpan.FromSeconds(2));
        return true;
    }

    /// <summary>The JSON object in a command's output (form writes progress lines around it on the same stream here).</summary>
    private static string JsonPart(string output) => output[output.IndexOf('{')..(output.LastIndexOf('}') + 1)];

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}

using Formation.Silo.Pack;
using Formation.Silo.Tests.Deploy;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// Real guests (qemu) resolving through the silo: each of two VMs runs busybox nslookup for both names every second
/// and serves what it got over HTTP. A guest's resolv.conf names its gateway (the silo's bridge address); it resolves
/// the other VM's name and its own; once the other VM stops, its name stops resolving.
/// </summary>
[Trait("Category", "Slow")]
public sealed class GuestDnsTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    // The loop is written out for both names: no shell variables for the Formfile to read as its own.
    private const string Formfile = """
        NAME resolver
        FROM tiny
        COPY ./www /www
        EXPOSE 8080/tcp
        ENTRYPOINT ["/bin/busybox", "sh", "-c", "/bin/busybox httpd -p 8080 -h /www; while true; do /bin/busybox nslookup dns-a.fog > /www/dns-a.txt 2>&1; /bin/busybox nslookup dns-b.fog > /www/dns-b.txt 2>&1; /bin/busybox cp /etc/resolv.conf /www/resolv.txt; /bin/busybox sleep 1; done"]
        """;

    [Fact]
    public async Task Guests_ResolveEachOtherAndThemselves_ThroughTheSilo_AndAStoppedVmStopsResolving()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("dns");
        var context = Path.Combine(data, "resolver-context");
        Directory.CreateDirectory(Path.Combine(context, "www"));
        await File.WriteAllTextAsync(Path.Combine(context, "www", "index.html"), "resolver\n");
        var pack = new PackOptions { DataDirectory = data };
        await new ImageBuilder(pack, new ImageStore(pack)).BuildAsync(new BuildRequest(Formfile, ContextDirectory: context, Tag: "resolver:1"), null,
            CancellationToken.None);

        var options = fixture.Silo("dep-dns", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true);
        var vms = new Dictionary<string, IVmGrain>();
        foreach (var name in new[] { "dns-a", "dns-b" })
        {
            var created = await DeployFixture.CreateAsync(client.Client, new VmSpec(name, 1, 256, 1, "resolver:1", null));
            vms[name] = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        }

        var addresses = new Dictionary<string, string>();
        foreach (var (name, vm) in vms)
        {
            var running = await Eventually.HoldsAsync(vm.GetAsync, v => v.State == VmState.Running && v.Address is not null, Boot, $"{name} running");
            addresses[name] = running.Address!;
        }

        var a = addresses["dns-a"];
        var b = addresses["dns-b"];
        var gateway = a[..a.LastIndexOf('.')] + ".1";
        Assert.Contains($"nameserver {gateway}", await FetchAsync(a, "resolv.txt", t => t.Contains("nameserver"), silo));
        await FetchAsync(a, "dns-b.txt", t => t.Contains(b), silo);
        await FetchAsync(b, "dns-a.txt", t => t.Contains(a), silo);
        await FetchAsync(a, "dns-a.txt", t => t.Contains(a), silo);

        await vms["dns-b"].StopAsync();
        var after = await FetchAsync(a, "dns-b.txt", t => !t.Contains(b), silo);
        Assert.DoesNotContain(b, after);

        foreach (var vm in vms.Values)
        {
            await Eventually.HoldsAsync(vm.GetAsync, v => v.State is VmState.Running or VmState.Stopped, TimeSpan.FromSeconds(60), "settled");
            await vm.DeleteAsync();
        }
    }

    /// <summary>Reads a file the guest serves until it satisfies <paramref name="holds"/>; fails with the last text and the silo's log.</summary>
    private static async Task<string> FetchAsync(string address, string file, Func<string, bool> holds, SiloProcess silo)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var last = "(nothing)";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await http.GetStringAsync($"http://{address}:{DeployFixture.WebPort}/{file}");
                if (holds(last))
                {
                    return last;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(500);
        }

        var consoles = Directory.EnumerateFiles(Path.GetDirectoryName(silo.Options.DataDirectory + "/")!, "console.log", SearchOption.AllDirectories)
            .Select(f => f + ":\n" + string.Join('\n', File.ReadLines(f).TakeLast(30)));
        Assert.Fail($"{address}/{file} never held; last: {last}\nsilo log:\n{silo.Output[^Math.Min(3000, silo.Output.Length)..]}\n{string.Join('\n', consoles)}");
        return last;
    }
}

namespace Formation.Bench.Mesh;

/// <summary>
/// TCP throughput (iperf3) from host 1 to host 2 over three paths, in turns within one run so that the machine's load
/// falls on all alike: the raw underlay veth, a wireguard-go tunnel configured by hand (the anchor for the overlay's
/// overhead), and the Formation overlay between the two silos' mesh interfaces (overlay address to overlay address).
/// </summary>
public static class Throughput
{
    public const double Goal = 0.95;

    public static async Task<int> RunAsync(int seconds, int runs, int streams)
    {
        await using var hosts = await MeshHosts.CreateAsync("mesh-throughput");
        var underlay = hosts.Underlay;
        foreach (var host in new[] { 1, 2 })
        {
            await hosts.AddAsync(host);
        }

        await hosts.WaitForFullMeshAsync([1, 2], TimeSpan.FromMinutes(2));
        var hand = await HandTunnel.CreateAsync(underlay, 1, 2, $"10.233.{underlay.Octet}", hosts.Cluster.DataDirectory("hand"));
        var paths = new (string Name, string Address, string Device)[]
        {
            ("underlay veth", underlay.Address(2), "ul0"),
            ("hand wireguard-go", hand.Address(2), hand.Interface(1)),
            ("Formation overlay", await hosts.OverlayAddressAsync(2), hosts.Interface(1)),
        };
        foreach (var (name, address, device) in paths)
        {
            Console.WriteLine($"  {name,-18} host 1 -> {address,-15} via {device} ({await DescribeAsync(underlay, device)})");
        }

        var iperf = new Iperf(underlay, client: 1, server: 2, seconds, streams);
        await iperf.StartServerAsync(underlay.Address(2));
        var results = paths.ToDictionary(p => p.Name, _ => new List<double>());
        var ratios = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            // Every other run in reverse order, so that neither tunnel always follows the other (load drifts).
            foreach (var (name, address, _) in run % 2 == 1 ? paths : paths.Reverse())
            {
                var gbits = await iperf.MeasureAsync(address);
                results[name].Add(gbits);
                Console.WriteLine($"  run {run}  {name,-18} {gbits,7:0.000} Gbit/s");
            }

            ratios.Add(results[paths[2].Name][^1] / results[paths[1].Name][^1]);
            Console.WriteLine($"  run {run}  overlay / hand tunnel {ratios[^1]:0.00}");
        }

        var median = results.ToDictionary(r => r.Key, r => Median(r.Value));
        var (raw, anchor, ours) = (median[paths[0].Name], median[paths[1].Name], median[paths[2].Name]);
        var ratio = Median(ratios);
        Console.WriteLine($"-- median of {runs}: underlay {raw:0.000}, hand wireguard-go {anchor:0.000}, Formation overlay {ours:0.000} Gbit/s; " +
            $"load average after: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"  overlay / hand tunnel   {ratio,5:0.00}   (median of the runs' ratios; goal >= {Goal:0.00}: {(ratio >= Goal ? "met" : "NOT met")})");
        Console.WriteLine($"  overlay / underlay      {ours / raw,5:0.00}");
        Console.WriteLine($"  hand tunnel / underlay  {anchor / raw,5:0.00}");
        return ratio >= Goal ? 0 : 1;
    }

    private static async Task<string> DescribeAsync(Underlay underlay, string device)
    {
        // "3: ul0@if4: <BROADCAST,...> mtu 1500 qdisc ... veth ..."; a tun device is a wireguard-go one here.
        var line = await underlay.InAsync(1, "ip", "-o", "-d", "link", "show", "dev", device);
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var kind = line.Contains(" tun ", StringComparison.Ordinal) ? "tun: wireguard-go" : line.Contains("wireguard", StringComparison.Ordinal) ? "kernel wireguard" : "veth";
        return $"mtu {words[Array.IndexOf(words, "mtu") + 1]}, {kind}";
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}

using System.Diagnostics;
using Formation.P2p;
using Formation.P2p.Addressing;
using Formation.P2p.Host;
using Formation.P2p.Identity;

namespace Formation.Bench.P2p;

/// <summary>The C# side of each measurement, shaped like bench.mjs.</summary>
internal static class CSharpBench
{
    private const string SinkProtocol = "/bench/sink/1.0.0";

    /// <summary>Time until every one of <paramref name="n"/> nodes, all dialling node 0 at once, routes all the others.</summary>
    public static async Task<(bool Converged, double Ms, int MinTable)> ConvergenceAsync(int n)
    {
        var nodes = new List<P2pNode>();
        for (var i = 0; i < n; i++)
        {
            var node = new P2pNode(Options());
            await node.StartAsync();
            nodes.Add(node);
        }

        var bootstrap = nodes[0].Host.ListenAddresses[0].WithPeerId(nodes[0].Host.PeerId);
        var clock = Stopwatch.StartNew();
        var joins = nodes.Skip(1).Select(node => node.Dht.BootstrapAsync([bootstrap], CancellationToken.None)).ToList();
        var converged = false;
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (nodes.All(node => node.Dht.RoutingTable.Count >= n - 1))
            {
                converged = true;
                break;
            }

            await Task.Delay(20);
        }

        var ms = clock.Elapsed.TotalMilliseconds;
        var minTable = nodes.Min(node => node.Dht.RoutingTable.Count);
        await Task.WhenAll(joins);
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        return (converged, ms, minTable);
    }

    /// <summary>MiB/s of one Noise+yamux stream on loopback (median of 3 runs of <paramref name="bytes"/>).</summary>
    public static async Task<(double Median, double[] Runs)> ThroughputAsync(long bytes)
    {
        await using var a = new P2pHost(Options());
        await using var b = new P2pHost(Options());
        long received = 0;
        a.Handle(SinkProtocol, async (stream, ct) =>
        {
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await stream.Stream.ReadAsync(buffer, ct)) > 0)
            {
                received += n;
            }

            await stream.Stream.WriteAsync(new byte[] { 1 }, ct);
            await stream.Stream.CloseWriteAsync(ct);
        });
        await a.StartAsync();
        await b.StartAsync();
        var target = a.ListenAddresses[0].WithPeerId(a.PeerId);
        var chunk = new byte[64 * 1024];
        var runs = new double[3];
        for (var r = 0; r < runs.Length; r++)
        {
            received = 0;
            var connection = await b.ConnectAsync(target, CancellationToken.None);
            using var stream = await connection.OpenStreamAsync(SinkProtocol, CancellationToken.None);
            var clock = Stopwatch.StartNew();
            for (long sent = 0; sent < bytes; sent += chunk.Length)
            {
                await stream.Stream.WriteAsync(chunk);
            }

            await stream.Stream.CloseWriteAsync();
            await stream.Stream.ReadExactlyAsync(new byte[1]);
            runs[r] = bytes / 1048576.0 / clock.Elapsed.TotalSeconds;
            if (received != bytes)
            {
                throw new InvalidOperationException($"the sink got {received} of {bytes} bytes");
            }
        }

        var sorted = runs.Order().ToArray();
        return (sorted[1], runs);
    }

    /// <summary>Managed heap and RSS growth per connection when <paramref name="n"/> hosts each connect to one (both ends, identified, idle).</summary>
    public static async Task<(double Heap, double Rss)> MemoryAsync(int n)
    {
        await using var server = new P2pNode(Options());
        await server.StartAsync();
        var clients = new List<P2pNode>();
        for (var i = 0; i < n; i++)
        {
            var client = new P2pNode(Options());
            await client.StartAsync();
            clients.Add(client);
        }

        await Task.Delay(500);
        var (heap0, rss0) = Measure();
        var target = server.Host.ListenAddresses[0].WithPeerId(server.Host.PeerId);
        foreach (var client in clients)
        {
            await client.Host.ConnectAsync(target, CancellationToken.None);
        }

        await Task.Delay(2000); // identify settles, as in bench.mjs
        var (heap1, rss1) = Measure();
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        return ((heap1 - heap0) / (double)n, (rss1 - rss0) / (double)n);
    }

    private static (long Heap, long Rss) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(true), self.WorkingSet64);
    }

    private static P2pHostOptions Options() => new()
    {
        Identity = Ed25519KeyPair.Generate(),
        ListenAddresses = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")],
        MaxConnections = 1000,
    };
}

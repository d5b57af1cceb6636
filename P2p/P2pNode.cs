using Formation.P2p.Host;
using Formation.P2p.Identify;
using Formation.P2p.Kad;
using Formation.P2p.Ping;
using Microsoft.Extensions.Logging;

namespace Formation.P2p;

/// <summary>
/// A complete node: the host with identify, ping and a Kademlia DHT in server mode. mDNS and Formation's node records
/// are added on top (<see cref="Mdns.MdnsDiscovery"/>, <see cref="Records.NodeRecordService"/>).
/// </summary>
public sealed class P2pNode : IAsyncDisposable
{
    /// <summary>Creates the node; <see cref="StartAsync"/> starts listening.</summary>
    public P2pNode(P2pHostOptions hostOptions, KadOptions? kadOptions = null, IReadOnlyDictionary<string, IKadRecordValidator>? validators = null, ILoggerFactory? loggerFactory = null)
    {
        Host = new P2pHost(hostOptions, loggerFactory);
        Identify = new IdentifyService(Host);
        Ping = new PingService(Host);
        Dht = new KadDht(Host, Identify, Ping, kadOptions ?? new KadOptions(), validators);
    }

    /// <summary>The host (connections, streams, peer store).</summary>
    public P2pHost Host { get; }

    /// <summary>Identify.</summary>
    public IdentifyService Identify { get; }

    /// <summary>Ping.</summary>
    public PingService Ping { get; }

    /// <summary>The DHT.</summary>
    public KadDht Dht { get; }

    /// <summary>Starts listening and the DHT's refresh loop.</summary>
    public async Task StartAsync()
    {
        await Host.StartAsync().ConfigureAwait(false);
        Dht.Start();
    }

    /// <summary>Stops everything.</summary>
    public async ValueTask DisposeAsync()
    {
        await Dht.DisposeAsync().ConfigureAwait(false);
        await Host.DisposeAsync().ConfigureAwait(false);
    }
}

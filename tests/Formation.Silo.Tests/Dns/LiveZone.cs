using System.Net;
using Formation.Silo.Dns;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Dns;

/// <summary>A real <see cref="ZoneServer"/> on real sockets (UDP and TCP) of a loopback address and a free port, and its table.</summary>
public sealed class LiveZone : IDisposable
{
    public LiveZone(Action<DnsOptions>? configure = null, IReadOnlyList<IPAddress>? addresses = null, IReadOnlyList<IPEndPoint>? forwarders = null,
        TimeProvider? clock = null, DnsMetrics? metrics = null)
    {
        Options = new DnsOptions { Port = FreePorts.Next() };
        configure?.Invoke(Options);
        Addresses = addresses ?? [IPAddress.Loopback];
        Forwarder = new DnsForwarder(forwarders ?? [], Options.ForwardTimeout, Options.MaxForwards);
        Limiter = new SourceRateLimiter(Options.RateLimit, Options.RateBurst, Options.RateLimitSources, clock ?? TimeProvider.System);
        Server = new ZoneServer(Options, Addresses, Table, Guests, new ZoneAnswerer(Options.Zone, Options.Ttl, "self.node"), Forwarder, Limiter,
            NullLogger.Instance, metrics);
        Server.Start();
    }

    public DnsOptions Options { get; }

    public IReadOnlyList<IPAddress> Addresses { get; }

    public int Port => Options.Port;

    public DnsTable Table { get; } = new();

    public GuestSources Guests { get; } = new();

    public DnsForwarder Forwarder { get; }

    public SourceRateLimiter Limiter { get; }

    public ZoneServer Server { get; }

    public void SetVm(string name, string address) => Table.Set("test", name, DnsTable.Addresses([IPAddress.Parse(address)]));

    public void Dispose()
    {
        Server.Dispose();
        Forwarder.Dispose();
    }
}

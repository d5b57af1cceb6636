namespace Formation.Silo.Dns;

/// <summary>form-dns, the silo's DNS server for the cluster's zone (section Formation:Dns).</summary>
public sealed class DnsOptions
{
    public const string Section = "Formation:Dns";

    /// <summary>Set to false to serve no DNS (guests then get no nameserver from the silo, as before form-dns).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The zone served: <c>&lt;vm&gt;.fog</c>, <c>&lt;node&gt;.node.fog</c>.</summary>
    public string Zone { get; set; } = "fog";

    /// <summary>UDP and TCP port. Guests are told about the server only when it is 53 (resolv.conf has no port).</summary>
    public int Port { get; set; } = 53;

    /// <summary>
    /// More addresses to listen on, besides the node's bridge address (which is also its overlay address). Tests and
    /// benchmarks use 127.0.0.1 with another <see cref="Port"/>.
    /// </summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>Whether to listen on the node's bridge (and overlay) address at all.</summary>
    public bool ListenOnBridge { get; set; } = true;

    /// <summary>TTL of every answer and of negative answers (the SOA minimum): short, so changes show quickly.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the records are rebuilt from the VM catalog and node list (heals a missed event).</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Resolvers (<c>address</c> or <c>address:port</c>) for names outside the zone, asked for guests only; default the host's /etc/resolv.conf.</summary>
    public List<string> Forwarders { get; set; } = [];

    /// <summary>How long a forwarded query may take per resolver.</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Forwarded queries in flight at once; beyond that a guest gets SERVFAIL at once.</summary>
    public int MaxForwards { get; set; } = 128;

    /// <summary>Queries per second one source address may send (token bucket rate); 0 turns the limit off.</summary>
    public double RateLimit { get; set; } = 1000;

    /// <summary>How many queries one source may send at once above the rate (the bucket's size).</summary>
    public int RateBurst { get; set; } = 2000;

    /// <summary>Sources the rate limiter tracks; past that, new sources share one bucket.</summary>
    public int RateLimitSources { get; set; } = 65_536;

    /// <summary>Threads that receive UDP queries per listening address.</summary>
    public int UdpWorkers { get; set; } = 2;

    /// <summary>Queries being answered at once (UDP and TCP); more wait in the socket's buffer or are dropped.</summary>
    public int MaxInFlight { get; set; } = 1024;

    /// <summary>TCP connections open at once.</summary>
    public int MaxTcpConnections { get; set; } = 64;

    /// <summary>Encoded answers kept for repeated questions (dropped whenever a record changes).</summary>
    public int AnswerCacheEntries { get; set; } = 10_000;

    /// <summary>
    /// <c>ADDRESS[:PORT]</c> (port 53 when left out) of the public listener (<c>--dns-public</c>), off when empty: it answers
    /// <c>&lt;service&gt;.&lt;PublicZone&gt;</c> with the underlay addresses of the nodes whose edge proxy serves the
    /// service, and nothing else (split horizon: the fog zone, guests' addresses and forwarding stay on the inside).
    /// </summary>
    public string? PublicListen { get; set; }

    /// <summary>The zone the public listener answers for (<c>--dns-public-zone</c>, e.g. <c>example.com</c>).</summary>
    public string? PublicZone { get; set; }

    /// <summary>Whether the public listener is on.</summary>
    public bool PublicEnabled => !string.IsNullOrWhiteSpace(PublicListen);

    /// <summary>The public listener's endpoint, or null when <see cref="PublicListen"/> is empty or not an endpoint.</summary>
    public System.Net.IPEndPoint? PublicEndpoint() =>
        PublicEnabled && System.Net.IPEndPoint.TryParse(PublicListen!.Trim(), out var endpoint)
            ? new System.Net.IPEndPoint(endpoint.Address, endpoint.Port == 0 ? 53 : endpoint.Port)
            : null;

    /// <summary>
    /// The nameserver a guest of this node is given: its gateway (the bridge address the server listens on) when the
    /// server serves the bridge on port 53; otherwise none (a resolv.conf line has no port), as before form-dns.
    /// </summary>
    public string? GuestNameserver(string gateway) => Enabled && ListenOnBridge && Port == 53 ? gateway : null;

    /// <summary>What is wrong with these settings, if anything.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var problem in PublicProblems())
        {
            yield return problem;
        }

        if (!Enabled)
        {
            yield break;
        }

        if (!Zone.Trim('.').Split('.').All(Names.IsDnsLabel))
        {
            yield return $"Dns:Zone '{Zone}' is not a DNS name of lower-case labels (for example 'fog' or 'fog.example').";
        }

        if (Port is < 1 or > 65535)
        {
            yield return $"Dns:Port {Port} is not a port (1–65535).";
        }

        foreach (var address in Listen.Where(a => !System.Net.IPAddress.TryParse(a, out _)))
        {
            yield return $"Dns:Listen '{address}' is not an IP address.";
        }

        foreach (var resolver in Forwarders.Where(f => !DnsForwarder.TryParseResolver(f, out _)))
        {
            yield return $"Dns:Forwarders '{resolver}' is not an address or address:port.";
        }

        if (Ttl < TimeSpan.FromSeconds(1) || ResyncInterval < TimeSpan.FromSeconds(1) || ForwardTimeout < TimeSpan.FromMilliseconds(100))
        {
            yield return "Dns:Ttl and Dns:ResyncInterval must be at least 1 s and Dns:ForwardTimeout at least 100 ms.";
        }

        if (RateLimit < 0 || RateBurst < 1 || RateLimitSources < 1 || UdpWorkers < 1 || MaxInFlight < 1 || MaxTcpConnections < 1 || MaxForwards < 1)
        {
            yield return "Dns:RateLimit must be 0 or more and Dns:RateBurst, RateLimitSources, UdpWorkers, MaxInFlight, MaxTcpConnections and MaxForwards at least 1.";
        }
    }

    private IEnumerable<string> PublicProblems()
    {
        var zone = PublicZone?.Trim().Trim('.').ToLowerInvariant();
        if (!PublicEnabled)
        {
            if (!string.IsNullOrWhiteSpace(PublicZone))
            {
                yield return "--dns-public-zone needs --dns-public ADDRESS[:PORT] (the address the public listener answers on).";
            }

            yield break;
        }

        if (PublicEndpoint() is not { } endpoint)
        {
            yield return $"--dns-public '{PublicListen}' is not ADDRESS[:PORT] (for example 203.0.113.7 or 203.0.113.7:53; IPv6 as [2001:db8::7]:53).";
        }
        else if (endpoint.Address.Equals(System.Net.IPAddress.Any) || endpoint.Address.Equals(System.Net.IPAddress.IPv6Any))
        {
            yield return $"--dns-public '{PublicListen}' is a wildcard address: name the public address to answer on (the wildcard would also take the guests' side).";
        }
        else if (Enabled && endpoint.Port == Port && Listen.Any(a => System.Net.IPAddress.TryParse(a, out var inner) && inner.Equals(endpoint.Address)))
        {
            yield return $"--dns-public {endpoint} is also where the {Zone} zone is served (Dns:Listen): the public listener needs an address or port of its own.";
        }

        if (string.IsNullOrEmpty(zone))
        {
            yield return "--dns-public needs --dns-public-zone ZONE (for example example.com): the zone whose <service>.ZONE names it answers.";
        }
        else if (!zone.Split('.').All(Names.IsDnsLabel))
        {
            yield return $"--dns-public-zone '{PublicZone}' is not a DNS name of labels of letters, digits and '-' (for example example.com).";
        }
        else
        {
            var inner = Zone.Trim('.').ToLowerInvariant();
            if (zone == inner || zone.EndsWith("." + inner, StringComparison.Ordinal) || inner.EndsWith("." + zone, StringComparison.Ordinal))
            {
                yield return $"--dns-public-zone '{zone}' overlaps the internal zone '{inner}': give the public side a zone of its own (for example apps.example.com).";
            }
        }
    }
}

namespace Formation.P2p.Kad;

/// <summary>Kademlia settings and limits.</summary>
public sealed class KadOptions
{
    /// <summary>The protocol id; a private network may use its own (e.g. <c>/formation/kad/1.0.0</c>).</summary>
    public string ProtocolId { get; init; } = "/ipfs/kad/1.0.0";

    /// <summary>Bucket size and replication factor.</summary>
    public int K { get; init; } = 20;

    /// <summary>Parallel queries of a lookup.</summary>
    public int Alpha { get; init; } = 10;

    /// <summary>Largest Kademlia message accepted.</summary>
    public int MaxMessageSize { get; init; } = 64 * 1024;

    /// <summary>Requests one inbound stream may carry.</summary>
    public int MaxRequestsPerStream { get; init; } = 256;

    /// <summary>One RPC (dial, request, response) must finish within this.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the table is refreshed: a self lookup, and entries unseen for this long are pinged and dropped if dead.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Records kept (the oldest go first).</summary>
    public int MaxRecords { get; init; } = 4096;

    /// <summary>Largest record value stored.</summary>
    public int MaxValueSize { get; init; } = 16 * 1024;

    /// <summary>How long a stored record lives (the spec's 36 h).</summary>
    public TimeSpan RecordTtl { get; init; } = TimeSpan.FromHours(36);

    /// <summary>Keys with providers kept.</summary>
    public int MaxProviderKeys { get; init; } = 4096;

    /// <summary>Providers kept per key.</summary>
    public int MaxProvidersPerKey { get; init; } = 64;

    /// <summary>How long a provider record lives (the spec's 48 h).</summary>
    public TimeSpan ProviderTtl { get; init; } = TimeSpan.FromHours(48);
}

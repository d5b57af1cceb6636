namespace Formation.P2p.Kad;

/// <summary>Kademlia RPC types (kad-dht/README.md).</summary>
public enum KadMessageType
{
    /// <summary>Store a record.</summary>
    PutValue = 0,

    /// <summary>Fetch a record and closer peers.</summary>
    GetValue = 1,

    /// <summary>Announce the sender as a provider of a key (no response).</summary>
    AddProvider = 2,

    /// <summary>Fetch providers of a key and closer peers.</summary>
    GetProviders = 3,

    /// <summary>Fetch the peers closest to a key.</summary>
    FindNode = 4,

    /// <summary>Deprecated liveness check.</summary>
    Ping = 5,
}

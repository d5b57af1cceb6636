namespace Formation.Discovery;

/// <summary>What this silo's discovery knows about other peers; implemented by the silo's discovery service.</summary>
public interface IPeerDirectory
{
    /// <summary>Every known peer, this node's own first-hand view.</summary>
    IReadOnlyList<PeerRow> Snapshot();
}
